// What citty imports from node:util: parseArgs, called with `strict: false`. Loading node:util costs
// ~3 M instructions (a quarter of the time to the URL line), so build.ts hands citty this module in
// its place. It is Node's algorithm for `strict: false` (argsToTokens, storeOption, the defaults),
// without the validation of a config citty always makes well-formed; any other call goes to
// node:util. test/unit/citty-util.test.ts checks it against node:util.
import type { parseArgs as nodeParseArgs } from "node:util";

type Config = Parameters<typeof nodeParseArgs>[0] & {};
type OptionConfig = { type?: string; short?: string; multiple?: boolean; default?: unknown };
type Values = Record<string, unknown>;

export function parseArgs(config: Config) {
  const { args, options = {}, strict, allowPositionals, tokens, allowNegative } = config;
  if (args === undefined || strict !== false || allowPositionals === false || tokens || allowNegative) {
    return (require("node:util") as typeof import("node:util")).parseArgs(config);
  }
  const defs = options as Record<string, OptionConfig>;
  const get = (name: string | undefined, key: keyof OptionConfig) =>
    name !== undefined && Object.hasOwn(defs, name) && Object.hasOwn(defs[name] as object, key)
      ? (defs[name] as OptionConfig)[key]
      : undefined;
  const longFor = (short: string) =>
    Object.entries(defs).find(([, def]) => Object.hasOwn(def, "short") && def.short === short)?.[0] ?? short;
  const isString = (name: string) => get(name, "type") === "string";

  const values: Values = Object.create(null);
  const positionals: string[] = [];
  const store = (name: string, value: string | undefined) => {
    if (name === "__proto__") return;
    const stored = value ?? true;
    if (get(name, "multiple")) {
      if (values[name] === undefined) values[name] = [stored];
      else (values[name] as unknown[]).push(stored);
    } else values[name] = stored;
  };

  const remaining = [...args];
  while (remaining.length > 0) {
    const arg = remaining.shift() as string;
    const next = remaining[0];
    if (arg === "--") {
      positionals.push(...remaining);
      break;
    }
    if (arg.length === 2 && arg[0] === "-" && arg[1] !== "-") {
      // -f, or -f VALUE for a string option
      const name = longFor(arg[1] as string);
      store(name, isString(name) && next != null ? remaining.shift() : undefined);
      continue;
    }
    if (arg.length > 2 && arg[0] === "-" && arg[1] !== "-") {
      const first = longFor(arg[1] as string);
      if (!isString(first)) {
        // -abc: each a short option, the first string option taking the rest as its value
        const expanded: string[] = [];
        for (let i = 1; i < arg.length; i++) {
          const short = arg.charAt(i);
          if (!isString(longFor(short)) || i === arg.length - 1) expanded.push(`-${short}`);
          else {
            expanded.push(`-${arg.slice(i)}`);
            break;
          }
        }
        remaining.unshift(...expanded);
        continue;
      }
      store(first, arg.slice(2)); // -fVALUE
      continue;
    }
    if (arg.length > 2 && arg.startsWith("--")) {
      const equals = arg.indexOf("=", 3);
      if (equals === -1) {
        const name = arg.slice(2);
        store(name, isString(name) && next != null ? remaining.shift() : undefined);
      } else store(arg.slice(2, equals), arg.slice(equals + 1));
      continue;
    }
    positionals.push(arg);
  }
  for (const name of Object.keys(defs)) {
    const fallback = get(name, "default");
    if (fallback !== undefined && values[name] === undefined && name !== "__proto__") values[name] = fallback;
  }
  return { values, positionals };
}
