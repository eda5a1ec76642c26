// One consola instance, writing to stderr only: stdout carries machine output (the URL line).
// One line per event, the same however the server is run (a TTY, CI, tests, the binary):
//   2026-11-24T06:20:00.000Z INFO  [sessions] session created {"session":"5f0c2a9e…"}
import { type ConsolaInstance, type ConsolaReporter, createConsola, LogLevels } from "consola/core";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const LABELS: Record<number, string> = {
  0: "ERROR",
  1: "WARN ",
  2: "INFO ",
  3: "INFO ",
  4: "DEBUG",
  5: "TRACE",
};

function detail(arg: unknown): string {
  if (arg instanceof Error) return arg.stack ?? arg.message;
  if (typeof arg === "string") return arg;
  try {
    return JSON.stringify(arg, (_key, value) =>
      value instanceof Error ? { error: value.message, stack: value.stack } : value,
    );
  } catch {
    return String(arg);
  }
}

const lineReporter: ConsolaReporter = {
  log(entry) {
    const tag = entry.tag ? ` [${entry.tag}]` : "";
    const text = entry.args.map(detail).join(" ");
    process.stderr.write(`${entry.date.toISOString()} ${LABELS[entry.level] ?? "INFO "}${tag} ${text}\n`);
  },
};

// The consola instances are made on a logger's first message, not at import: each costs a deep
// merge of its options, and a server logs nothing before its URL line.
let root: ConsolaInstance | null = null;
let currentLevel: number = LogLevels.info;

// withTag() copies the level, so every tagged instance is kept to follow later level changes.
const tagged = new Set<ConsolaInstance>();

export function setLogLevel(level: LogLevel): void {
  currentLevel = LogLevels[level];
  for (const instance of tagged) instance.level = currentLevel;
}

type LogMethod = (message: unknown, ...args: unknown[]) => void;

/** A tagged consola logger; `level` is the current level (compare with LogLevels). */
export interface Logger {
  readonly level: number;
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

export function logger(tag: string): Logger {
  let instance: ConsolaInstance | null = null;
  const consola = () => {
    if (instance) return instance;
    root ??= createConsola({ level: currentLevel, reporters: [lineReporter] });
    instance = root.withTag(tag);
    instance.level = currentLevel;
    tagged.add(instance);
    return instance;
  };
  // A message below the level is dropped here, as consola would, without making an instance.
  const method =
    (name: "error" | "warn" | "info" | "debug", level: number): LogMethod =>
    (message, ...args) => {
      if (level <= currentLevel) consola()[name](message, ...args);
    };
  return {
    get level() {
      return currentLevel;
    },
    error: method("error", LogLevels.error),
    warn: method("warn", LogLevels.warn),
    info: method("info", LogLevels.info),
    debug: method("debug", LogLevels.debug),
  };
}
