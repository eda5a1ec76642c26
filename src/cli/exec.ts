// `codex-exec-server exec [--url ws://...] [-t] [-w DIR] [-e K=V]... [--] CMD ARGS...`:
// run one command on a server, like `ssh host cmd`. Remote stdout/stderr go to local
// stdout/stderr, local stdin goes to the program, and the exit code is the program's. It uses
// ExecServerClient only.
import { constants } from "node:os";
import { nanoid } from "nanoid";
import { RemoteProcess } from "../process/remote.ts";
import type { ProcessEvent } from "../process/types.ts";
import type { ExecServerClient } from "../rpc/client.ts";
import type { Flags, Parsed } from "./args.ts";
import { CLIENT_FLAGS, type ClientOptions, clientOptions, connect } from "./client-flags.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./options.ts";

const FLAGS = {
  ...CLIENT_FLAGS,
  tty: { type: "boolean", short: "t", description: "Run the command in a PTY (interactive programs)" },
  interactive: {
    type: "boolean",
    short: "i",
    description: "Accepted for docker's -it; stdin is always forwarded",
  },
  workdir: {
    type: "string",
    short: "w",
    description: "Working directory on the server",
    hint: "DIR",
    fallback: "/",
    aliases: ["cwd"],
  },
  env: {
    type: "string",
    short: "e",
    isMultiple: true,
    description: "Set a variable in the command's environment (repeatable)",
    hint: "NAME=VALUE",
  },
} as const satisfies Flags;

export interface ExecOptions extends ClientOptions {
  tty: boolean;
  cwd: string;
  env: Record<string, string>;
  argv: string[];
}

export function execOptions({ values, positionals }: Parsed): ExecOptions {
  const argv = positionals;
  if (argv.length === 0) throw new UsageError("no command given (exec [OPTIONS] CMD [ARGS...])");
  const env: Record<string, string> = {};
  for (const pair of (values.env as string[] | undefined) ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`invalid --env '${pair}': expected NAME=VALUE`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const cwd = (values.workdir as string | undefined) ?? "/";
  if (!cwd.startsWith("/"))
    throw new UsageError(`invalid --workdir '${cwd}': expected an absolute path on the server`);
  return { ...clientOptions(values), tty: values.tty === true, cwd, env, argv };
}

/** The shell convention for a program killed by a signal: 128 + its number. */
function exitCodeOf(event: Extract<ProcessEvent, { type: "exited" }>): number {
  if (event.signal) {
    const number = (constants.signals as Record<string, number>)[event.signal];
    if (number !== undefined) return 128 + number;
  }
  return event.exitCode < 0 ? 255 : event.exitCode;
}

/** A second Ctrl-C within this long kills the program instead of interrupting it again. */
export const INTERRUPT_WINDOW_MS = 2000;

/** What a terminal reporting no size (0×0, e.g. a serial console or some CI runners) gets. */
const FALLBACK_SIZE = { rows: 24, cols: 80 };

/** A pipeline's status for a writer whose reader went away: 128 + SIGPIPE. */
const BROKEN_PIPE_EXIT = 128 + 13;

/** Writes to a local stream, in order, finished before we exit; a closed reader (EPIPE) ends it. */
function orderedWriter(stream: NodeJS.WriteStream, onBrokenPipe: () => void) {
  let tail = Promise.resolve();
  let isBroken = false;
  // EPIPE, or any other write error: the stream cannot take more, whatever the cause.
  stream.on("error", () => {
    if (isBroken) return;
    isBroken = true;
    onBrokenPipe();
  });
  return {
    write(bytes: Uint8Array) {
      if (isBroken) return;
      tail = tail.then(
        () =>
          new Promise<void>((resolve) => {
            if (isBroken) resolve();
            else stream.write(bytes, () => resolve());
          }),
      );
    },
    flushed: () => tail,
  };
}

function terminalSize(): { rows: number; cols: number } {
  const { rows, columns } = process.stdout;
  return rows > 0 && columns > 0 ? { rows, cols: columns } : FALLBACK_SIZE;
}

/** A process/start refusal as the shell would say it, with the shell's exit code. */
async function startFailure(client: ExecServerClient, options: ExecOptions, error: Error) {
  const program = options.argv[0] as string;
  const text = error.message;
  if (/os error 2\b/.test(text)) {
    const isDirectory = await client.call("fs/getMetadata", { path: options.cwd }).then(
      (meta) => meta.isDirectory,
      () => false,
    );
    if (!isDirectory) return { code: 126, message: `--workdir ${options.cwd}: no such directory` };
    return { code: 127, message: `${program}: command not found` };
  }
  if (/os error 13\b/.test(text)) return { code: 126, message: `${program}: permission denied` };
  if (/os error \d+/.test(text)) return { code: 126, message: `${program}: ${text}` };
  return { code: 255, message: `cannot start ${program}: ${text}` };
}

export async function runExec(options: ExecOptions): Promise<number> {
  const client = await connect(options, "codex-exec-server exec");
  const processId = `exec-${nanoid(12)}`;
  const { promise: finished, resolve: finish } = Promise.withResolvers<number>();
  const say = (message: string) => process.stderr.write(`codex-exec-server exec: ${message}\n`);
  const terminate = () => client.call("process/terminate", { processId }).catch(() => {});
  // `exec … | head -2`: the reader has gone, so the program's output has nowhere to go. It is
  // killed at once (not left to block on a full pipe), and we exit as a pipeline's writer would.
  const onBrokenPipe = () => {
    void terminate();
    finish(BROKEN_PIPE_EXIT);
  };
  const stdout = orderedWriter(process.stdout, onBrokenPipe);
  const stderr = orderedWriter(process.stderr, onBrokenPipe);
  let exitCode = 0;
  const processes = new RemoteProcess(client);
  processes.subscribe((event) => {
    if (event.processId !== processId) return;
    if (event.type === "output") (event.chunk.stream === "stderr" ? stderr : stdout).write(event.chunk.bytes);
    else if (event.type === "exited") exitCode = exitCodeOf(event);
    else finish(exitCode);
  });
  let isDone = false;
  client.onClose((reason) => {
    if (isDone) return;
    // 1001 (going away) is a server shutting down: it has killed every program it ran, so there
    // is nothing to resume.
    if (/\bcode 1001\b/.test(reason)) {
      say("the server shut down; the program was killed");
      finish(255);
    } else void reconnect(client, finish);
  });

  // Ctrl-C (pipe mode; a raw terminal sends ^C as a byte): the first interrupts the remote group
  // so its traps run, a second within INTERRUPT_WINDOW_MS kills it. Installed before the start:
  // the program may print (and the user react) before its start is answered.
  let interruptedAt = Number.NEGATIVE_INFINITY;
  process.on("SIGINT", () => {
    const now = performance.now();
    if (now - interruptedAt < INTERRUPT_WINDOW_MS) void terminate();
    else void client.call("process/signal", { processId, signal: "interrupt" }).catch(() => {});
    interruptedAt = now;
  });
  process.on("SIGTERM", () => void terminate());
  process.on("SIGHUP", () => void terminate());
  if (options.tty && process.stdout.isTTY) {
    process.on("SIGWINCH", () => {
      void client.call("process/resize", { processId, ...terminalSize() }).catch(() => {});
    });
  }

  const isLocalTty = options.tty && process.stdin.isTTY === true;
  const env =
    options.tty && process.env.TERM && !options.env.TERM
      ? { ...options.env, TERM: process.env.TERM }
      : options.env;
  try {
    // launch, not start: a handle would keep every event for an iterator exec never runs.
    await processes.launch({
      processId,
      argv: options.argv,
      cwd: options.cwd,
      env,
      // The server's own environment (less its secrets), as `ssh host cmd` would give.
      envPolicy: { inherit: "all", ignoreDefaultExcludes: false, exclude: [], set: {}, includeOnly: [] },
      tty: options.tty,
      pipeStdin: true,
      arg0: null,
      size: options.tty ? (process.stdout.isTTY ? terminalSize() : FALLBACK_SIZE) : null,
    });
  } catch (error) {
    const failure = await startFailure(client, options, error as Error);
    isDone = true;
    say(failure.message);
    await client.close();
    return failure.code;
  }
  if (isLocalTty) process.stdin.setRawMode(true);
  const forwardStdin = (async () => {
    for await (const chunk of process.stdin) {
      const bytes = chunk as Uint8Array;
      await client.call("process/write", { processId, chunk: Buffer.from(bytes).toString("base64") });
    }
    if (!isLocalTty) await client.call("process/closeStdin", { processId });
  })().catch(() => {});
  const code = await finished;
  isDone = true;
  if (isLocalTty) process.stdin.setRawMode(false);
  process.stdin.pause();
  void forwardStdin;
  await Promise.all([stdout.flushed(), stderr.flushed()]);
  await client.close();
  return code;
}

/** A dropped connection is resumed (the session waits on the server); output catches up. */
async function reconnect(client: ExecServerClient, fail: (code: number) => void): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    try {
      await client.reconnect();
      return;
    } catch {
      // Try again until the attempts run out.
    }
  }
  process.stderr.write("codex-exec-server exec: lost the connection to the server\n");
  fail(255);
}

export const execCommand: Command = {
  name: "codex-exec-server exec",
  maxPositionals: Number.POSITIVE_INFINITY,
  isStopAtPositional: true,
  help: {
    usage: [
      "codex-exec-server exec [--url ws://HOST:PORT] [-t] [-w DIR] [-e NAME=VALUE]... [--] CMD [ARGS...]",
    ],
    summary:
      "Run a command on a server, like ssh HOST CMD: its stdout and stderr are ours, our stdin is its, and its exit code is ours (128+N for a signal). The first argument that is not an option starts the command; use -- before a command that starts with '-'.",
    flags: FLAGS,
    notes: [
      "Ctrl-C interrupts the remote process group (its traps run); a second Ctrl-C within 2 s kills it. With --tty, window resizes are forwarded.",
      "Exit codes: the program's; 127 command not found; 126 not executable or no such --workdir; 141 our stdout was closed (the program is killed); 255 the server cannot be reached, refused the token or shut down; 2 a usage mistake.",
    ],
  },
  async run(parsed) {
    const options = execOptions(parsed);
    try {
      return await runExec(options);
    } catch (error) {
      process.stderr.write(`codex-exec-server exec: ${(error as Error).message}\n`);
      return 255;
    }
  },
};
