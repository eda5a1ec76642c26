// The one flag parser of every command: strict (an unknown flag, a missing value or a stray
// argument is a UsageError naming it), declared once per command as a table of Flags that also
// writes the command's help. `--name value`, `--name=value`, `-x value`, `-xvalue`, grouped short
// booleans (`-it`), `--` ends the flags. A command that takes a program (exec) stops at its first
// argument, so `exec --url U ls -la /` passes `-la` to ls.
import { UsageError } from "./options.ts";

export interface Flag {
  type: "string" | "boolean";
  description: string;
  /** A one-letter alias: `-t`. */
  short?: string;
  /** Repeatable; the value is every occurrence in order. */
  isMultiple?: boolean;
  /** What the value looks like in help: `--listen ws://IP:PORT`. */
  hint?: string;
  /** The environment variable read when the flag is absent (shown in help). */
  env?: string;
  /** Shown in help as `(default ...)`. */
  fallback?: string;
  /** Older names accepted for the same flag, not shown in help. */
  aliases?: string[];
}

export type Flags = Record<string, Flag>;

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Parsed {
  values: Values;
  positionals: string[];
  /** `-h` or `--help` was given: the caller prints help and ignores everything else. */
  isHelp: boolean;
}

export interface ParseOptions {
  /** The most positionals the command takes (Infinity for a program's argv). */
  maxPositionals: number;
  /** Everything from the first positional on is a positional (a program and its arguments). */
  isStopAtPositional?: boolean;
  /** The command's name for messages: `codex-exec-server exec`. */
  command: string;
}

/** The flag's name among `flags` for `--name`, `-x` or an alias, else undefined. */
function lookup(flags: Flags, name: string, isShort: boolean): string | undefined {
  for (const [key, flag] of Object.entries(flags)) {
    if (isShort ? flag.short === name : key === name || flag.aliases?.includes(name)) return key;
  }
  return undefined;
}

/** The edit distance of two short strings, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = row;
  }
  return previous[b.length] as number;
}

function unknown(flags: Flags, arg: string, options: ParseOptions): UsageError {
  const name = arg.replace(/^--?/, "").split("=")[0] as string;
  const near = Object.keys(flags)
    .map((key) => ({ key, d: distance(name, key) }))
    .filter(({ d }) => d <= Math.max(1, Math.floor(name.length / 4)))
    .sort((x, y) => x.d - y.d)[0];
  const hint = near ? `; did you mean --${near.key}?` : ` (see ${options.command} --help)`;
  return new UsageError(`unknown option '${arg.split("=")[0]}'${hint}`);
}

export function parseArgs(args: readonly string[], flags: Flags, options: ParseOptions): Parsed {
  const values: Values = {};
  const positionals: string[] = [];
  let isHelp = false;
  const set = (key: string, value: string | boolean) => {
    const flag = flags[key] as Flag;
    if (flag.isMultiple) values[key] = [...((values[key] as string[] | undefined) ?? []), String(value)];
    else values[key] = value;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === "--help" || arg === "-h") {
      isHelp = true;
      continue;
    }
    if (arg.startsWith("--")) {
      const at = arg.indexOf("=");
      const name = at < 0 ? arg.slice(2) : arg.slice(2, at);
      const key = lookup(flags, name, false);
      if (!key) throw unknown(flags, arg, options);
      const flag = flags[key] as Flag;
      if (flag.type === "boolean") {
        if (at >= 0) throw new UsageError(`option '--${key}' takes no value`);
        set(key, true);
      } else if (at >= 0) set(key, arg.slice(at + 1));
      else {
        const value = args[++i];
        if (value === undefined) throw new UsageError(`option '--${key}' needs a value`);
        set(key, value);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // -abc: booleans a and b, then c (which may take the rest, or the next arg, as its value).
      for (let c = 1; c < arg.length; c++) {
        const letter = arg[c] as string;
        const key = lookup(flags, letter, true);
        if (!key) throw unknown(flags, `-${letter}`, options);
        if ((flags[key] as Flag).type === "boolean") {
          set(key, true);
          continue;
        }
        const rest = arg.slice(c + 1);
        const value = rest !== "" ? rest : args[++i];
        if (value === undefined) throw new UsageError(`option '-${letter}' needs a value`);
        set(key, value);
        break;
      }
      continue;
    }
    if (options.isStopAtPositional) {
      positionals.push(...args.slice(i));
      break;
    }
    positionals.push(arg);
  }
  if (!isHelp && positionals.length > options.maxPositionals) {
    const stray = positionals[options.maxPositionals] as string;
    throw new UsageError(`unexpected argument '${stray}' (see ${options.command} --help)`);
  }
  return { values, positionals, isHelp };
}
