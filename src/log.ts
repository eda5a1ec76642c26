// One consola instance, writing to stderr only: stdout carries machine output (the URL line).
import { type ConsolaInstance, createConsola, LogLevels } from "consola";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const root = createConsola({
  level: LogLevels.info,
  stdout: process.stderr,
  stderr: process.stderr,
  formatOptions: { date: true, colors: false, compact: true },
});

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
