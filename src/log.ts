// One consola instance, writing to stderr only: stdout carries machine output (the URL line).
// One line per event, the same however the server is run (a TTY, CI, tests, the binary):
//   2026-11-24T06:20:00.000Z INFO  [sessions] session created {"session":"5f0c2a9e…"}
import { type ConsolaInstance, type ConsolaReporter, createConsola, LogLevels } from "consola/core";

export { LogLevels };

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

const root = createConsola({ level: LogLevels.info, reporters: [lineReporter] });

// withTag() copies the level, so every tagged logger is kept to follow later level changes.
const tagged = new Set<ConsolaInstance>([root]);

export function setLogLevel(level: LogLevel): void {
  for (const instance of tagged) instance.level = LogLevels[level];
}

export function logger(tag: string): ConsolaInstance {
  const instance = root.withTag(tag);
  tagged.add(instance);
  return instance;
}
