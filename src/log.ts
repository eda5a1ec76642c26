// One consola instance, writing to stderr only: stdout carries machine output (the URL line).
// One line per event, the same however the server is run (a TTY, CI, tests, the binary):
//   2026-11-24T06:20:00.000Z INFO  [sessions] session created {"session":"5f0c2a9e…"}
// or, with --log-format json (journald, log shippers), one JSON object per line:
//   {"time":"2026-11-24T06:20:00.000Z","level":"info","component":"sessions","msg":"session created","session":"5f0c2a9e…"}
import { type ConsolaInstance, type ConsolaReporter, createConsola, LogLevels } from "consola/core";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const LEVEL_NAMES: Record<number, string> = {
  0: "error",
  1: "warn",
  2: "info",
  3: "info",
  4: "debug",
  5: "trace",
};

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

// On Bun, lines go to fd 2 through Bun's own writer: process.stderr is a Node stream, and making it
// costs more than the rest of a start. Each line is flushed as it is written (a full pipe keeps the
// rest queued in the writer, in order). The library on Node writes to process.stderr.
let stderrSink: Bun.FileSink | null = null;

function writeLine(line: string): void {
  if (typeof Bun === "undefined") {
    process.stderr.write(line);
    return;
  }
  stderrSink ??= Bun.stderr.writer();
  stderrSink.write(line);
  void stderrSink.flush();
}

const lineReporter: ConsolaReporter = {
  log(entry) {
    const tag = entry.tag ? ` [${entry.tag}]` : "";
    const text = entry.args.map(detail).join(" ");
    writeLine(`${entry.date.toISOString()} ${LABELS[entry.level] ?? "INFO "}${tag} ${text}\n`);
  },
};

/** The fields of a message's detail objects, merged; anything else is appended to msg. */
function jsonLine(entry: Parameters<ConsolaReporter["log"]>[0]): string {
  const [message, ...rest] = entry.args;
  const line: Record<string, unknown> = {
    time: entry.date.toISOString(),
    level: LEVEL_NAMES[entry.level] ?? "info",
    component: entry.tag || undefined,
    msg: message instanceof Error ? message.message : String(message),
  };
  for (const arg of rest) {
    if (arg instanceof Error) {
      line.error = arg.message;
      line.stack = arg.stack;
    } else if (arg && typeof arg === "object" && !Array.isArray(arg)) {
      // The line's own keys win: a field named like them cannot forge a level or a time.
      for (const [key, value] of Object.entries(arg)) if (!(key in line)) line[key] = value;
    } else line.msg = `${line.msg} ${detail(arg)}`;
  }
  if (message instanceof Error && line.stack === undefined) line.stack = message.stack;
  try {
    return JSON.stringify(line, (_key, value) => (value instanceof Error ? value.message : value));
  } catch {
    return JSON.stringify({ time: line.time, level: line.level, component: line.component, msg: line.msg });
  }
}

const jsonReporter: ConsolaReporter = {
  log(entry) {
    writeLine(`${jsonLine(entry)}\n`);
  },
};

let reporter: ConsolaReporter = lineReporter;

/** Text lines (the default) or one JSON object per line; set before the first message. */
export function setLogFormat(format: LogFormat): void {
  reporter = format === "json" ? jsonReporter : lineReporter;
  root?.setReporters([reporter]);
}

// The one consola instance is made on the first message, not at import: a server logs nothing
// before its URL line. Each logger passes its tag with the message (a log object) instead of
// holding an instance of its own: withTag() makes a whole instance, a deep merge of its options,
// on each component's first message. `throttle: 0`: every event is its own line (consola would
// fold a message repeated within a second into "repeated N times", and serializes every message
// to find out).
let root: ConsolaInstance | null = null;
let currentLevel: number = LogLevels.info;

export function setLogLevel(level: LogLevel): void {
  currentLevel = LogLevels[level];
  if (root) root.level = currentLevel;
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
  const consola = () => {
    root ??= createConsola({ level: currentLevel, reporters: [reporter], throttle: 0 });
    return root;
  };
  // A message below the level is dropped here, as consola would, without making the instance.
  const method =
    (name: "error" | "warn" | "info" | "debug", level: number): LogMethod =>
    (message, ...args) => {
      if (level <= currentLevel) consola()[name]({ tag, args: [message, ...args] });
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
