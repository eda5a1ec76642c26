// `codex-exec-server exec --url ws://... [--tty] [--cwd DIR] [--env K=V]... -- CMD ARGS...`:
// run one command on a server, like `ssh host cmd`. Remote stdout/stderr go to local
// stdout/stderr, local stdin goes to the program, and the exit code is the program's. It uses
// ExecServerClient only.
import { constants } from "node:os";
import { parseArgs } from "node:util";
import { defineCommand } from "citty";
import { nanoid } from "nanoid";
import { RemoteProcess } from "../process/remote.ts";
import type { ProcessEvent } from "../process/types.ts";
import { ExecServerClient } from "../rpc/client.ts";
import { UsageError } from "./options.ts";

export interface ExecOptions {
  url: string;
  tty: boolean;
  cwd: string;
  env: Record<string, string>;
  argv: string[];
  connectTimeoutMs: number;
  /** Capability token for a server started with --ws-auth capability-token. */
  token?: string;
}

const USAGE =
  "usage: codex-exec-server exec --url ws://HOST:PORT [--tty] [--cwd DIR] [--env K=V]... [--ws-token-file FILE] -- CMD [ARGS...]";

export function parseExecArgs(rawArgs: string[]): ExecOptions {
  const split = rawArgs.indexOf("--");
  const flags = split >= 0 ? rawArgs.slice(0, split) : rawArgs;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(flags);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; ${USAGE}`);
  }
  const argv = split >= 0 ? rawArgs.slice(split + 1) : parsed.positionals;
  const { values } = parsed;
  if (!values.url) throw new UsageError(`--url is required; ${USAGE}`);
  if (argv.length === 0) throw new UsageError(`no command given; ${USAGE}`);
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`invalid --env '${pair}': expected NAME=VALUE`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const cwd = values.cwd ?? "/";
  if (!cwd.startsWith("/"))
    throw new UsageError(`invalid --cwd '${cwd}': expected an absolute path on the server`);
  const timeout = Number(values["connect-timeout-ms"] ?? 10_000);
  if (!Number.isSafeInteger(timeout) || timeout <= 0) throw new UsageError("invalid --connect-timeout-ms");
  return {
    url: values.url,
    tty: values.tty ?? false,
    cwd,
    env,
    argv,
    connectTimeoutMs: timeout,
    token: readToken(values["ws-token-file"]),
  };
}

/** The token from --ws-token-file, else CODEX_EXEC_SERVER_TOKEN; never printed. */
function readToken(file: string | undefined): string | undefined {
  if (file === undefined) return process.env.CODEX_EXEC_SERVER_TOKEN || undefined;
  try {
    const token = (require("node:fs") as typeof import("node:fs")).readFileSync(file, "utf8").trim();
    if (token) return token;
  } catch (error) {
    throw new UsageError(`cannot read --ws-token-file: ${(error as Error).message}`);
  }
  throw new UsageError("--ws-token-file is empty");
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      tty: { type: "boolean", short: "t" },
      cwd: { type: "string" },
      env: { type: "string", multiple: true, short: "e" },
      "connect-timeout-ms": { type: "string" },
      "ws-token-file": { type: "string" },
    },
  });
}

/** The shell convention for a program killed by a signal: 128 + its number. */
function exitCodeOf(event: Extract<ProcessEvent, { type: "exited" }>): number {
  if (event.signal) {
    const number = (constants.signals as Record<string, number>)[event.signal];
    if (number !== undefined) return 128 + number;
  }
  return event.exitCode < 0 ? 255 : event.exitCode;
}

/** Writes to a local stream, in order, finished before we exit. */
function orderedWriter(stream: NodeJS.WriteStream) {
  let tail = Promise.resolve();
  return {
    write(bytes: Uint8Array) {
      tail = tail.then(() => new Promise<void>((resolve) => stream.write(bytes, () => resolve())));
    },
    flushed: () => tail,
  };
}

export async function runExec(options: ExecOptions): Promise<number> {
  const client = await ExecServerClient.connect(options.url, {
    clientName: "codex-exec-server exec",
    connectTimeoutMs: options.connectTimeoutMs,
    headers: options.token ? { Authorization: `Bearer ${options.token}` } : undefined,
  });
  const processId = `exec-${nanoid(12)}`;
  const stdout = orderedWriter(process.stdout);
  const stderr = orderedWriter(process.stderr);
  const { promise: finished, resolve: finish } = Promise.withResolvers<number>();
  let exitCode = 0;
  const processes = new RemoteProcess(client);
  processes.subscribe((event) => {
    if (event.processId !== processId) return;
    if (event.type === "output") (event.chunk.stream === "stderr" ? stderr : stdout).write(event.chunk.bytes);
    else if (event.type === "exited") exitCode = exitCodeOf(event);
    else finish(exitCode);
  });
  let isDone = false;
  client.onClose(() => {
    if (!isDone) void reconnect(client, finish);
  });

  const isLocalTty = options.tty && process.stdin.isTTY === true;
  const env =
    options.tty && process.env.TERM && !options.env.TERM
      ? { ...options.env, TERM: process.env.TERM }
      : options.env;
  await processes.start({
    processId,
    argv: options.argv,
    cwd: options.cwd,
    env,
    // The server's own environment (less its secrets), as `ssh host cmd` would give.
    envPolicy: { inherit: "all", ignoreDefaultExcludes: false, exclude: [], set: {}, includeOnly: [] },
    tty: options.tty,
    pipeStdin: true,
    arg0: null,
    size:
      options.tty && process.stdout.isTTY
        ? { rows: process.stdout.rows, cols: process.stdout.columns }
        : null,
  });
  if (isLocalTty) process.stdin.setRawMode(true);
  const forwardStdin = (async () => {
    for await (const chunk of process.stdin) {
      const bytes = chunk as Uint8Array;
      await client.call("process/write", { processId, chunk: Buffer.from(bytes).toString("base64") });
    }
    if (!isLocalTty) await client.call("process/closeStdin", { processId });
  })().catch(() => {});
  const onSignal = () => void client.call("process/terminate", { processId }).catch(() => {});
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

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
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
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

export const exec = defineCommand({
  meta: {
    name: "exec",
    description:
      "Run a command on an exec-server: exec --url ws://HOST:PORT [--tty] [--cwd DIR] [--env K=V]... -- CMD ARGS...",
  },
  args: {
    url: { type: "string", description: "The server's websocket URL" },
    tty: { type: "boolean", description: "Run the command in a PTY (interactive programs)" },
    cwd: { type: "string", description: "Working directory on the server (default /)" },
    env: { type: "string", description: "NAME=VALUE for the command's environment (repeatable)" },
    "connect-timeout-ms": {
      type: "string",
      description: "Give up connecting after this long (default 10000)",
    },
    "ws-token-file": {
      type: "string",
      description:
        "File holding the server's capability token [env CODEX_EXEC_SERVER_TOKEN: the token itself]",
    },
  },
  async run({ rawArgs }) {
    try {
      const code = await runExec(parseExecArgs(rawArgs));
      process.exit(code);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`codex-exec-server exec: ${message}\n`);
      process.exit(error instanceof UsageError ? 2 : 255);
    }
  },
});
