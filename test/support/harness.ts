// Start a server for a test: in-process (fast, inspectable) or as the CLI reading its URL line.
// Both clean up with `await using`.
import { type ExecServer, type ServerOverrides, startServer } from "../../src/server/server.ts";
import { TestClient } from "./client.ts";
import { waitFor } from "./wait.ts";

export interface TestServer extends ExecServer, AsyncDisposable {
  connect(): Promise<TestClient>;
  session(resumeSessionId?: string): ReturnType<typeof TestClient.session>;
}

export function startTestServer(options: ServerOverrides = {}): TestServer {
  const server = startServer({ host: "127.0.0.1", port: 0, ...options });
  return Object.assign(server, {
    connect: () => TestClient.connect(server.url),
    session: (resumeSessionId?: string) => TestClient.session(server.url, resumeSessionId),
    [Symbol.asyncDispose]: () => server.stop(),
  });
}

const ENTRY = new URL("../../src/index.ts", import.meta.url).pathname;
const BINARY = new URL("../../dist/codex-exec-server", import.meta.url).pathname;

/** The command that runs the CLI: the compiled binary when CODEX_EXEC_SERVER_BIN asks for it. */
export function cliCommand(): string[] {
  const bin = process.env.CODEX_EXEC_SERVER_BIN;
  if (bin) return [bin === "1" ? BINARY : bin];
  return [process.execPath, ENTRY];
}

export interface CliServer extends AsyncDisposable {
  url: string;
  process: Bun.Subprocess<"ignore", "pipe", "pipe">;
  stderr(): Promise<string>;
  /** What the server printed on stdout after its URL line (read to the end: call after stop). */
  restOfStdout(): Promise<string>;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export async function startCli(
  args: string[] = [],
  env: Record<string, string> = {},
  command: string[] = cliCommand(),
): Promise<CliServer> {
  const child = Bun.spawn([...command, "--listen", "ws://127.0.0.1:0", ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done)
      throw new Error(`server exited before printing its URL: ${await new Response(child.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  const url = text.split("\n")[0] as string;
  const restOfStdout = async () => {
    let rest = text.slice(url.length + 1);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return rest;
      rest += new TextDecoder().decode(value);
    }
  };
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return child.exited;
  };
  return {
    url,
    process: child,
    stderr: () => new Response(child.stderr).text(),
    restOfStdout,
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop("SIGKILL");
    },
  };
}

/** Run the CLI to completion (for flag errors, --help, --version). */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string) {
  return runToEnd([...cliCommand(), ...args], { env: { ...process.env, ...env }, stdin });
}

/** Run a command to its end and collect both outputs and the exit code. */
export async function runToEnd(
  command: string[],
  options: { env?: Record<string, string | undefined>; stdin?: string; cwd?: string } = {},
) {
  const child = Bun.spawn(command, {
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: options.env ?? process.env,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

export interface CloudCli extends AsyncDisposable {
  process: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** Everything on stderr so far. */
  stderr(): string;
  /** Wait until stderr matches, and return the match. */
  waitForStderr(pattern: RegExp, label?: string): Promise<RegExpMatchArray>;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
  /** The exit code, once the process has ended on its own. */
  exited: Promise<number>;
}

/** Start the CLI in cloud mode: there is no URL line, so tests follow its stderr log instead. */
export function startCloudCli(args: string[], env: Record<string, string>): CloudCli {
  const child = Bun.spawn([...cliCommand(), "--cloud", ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  let text = "";
  let isDrained = false;
  const drained = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) text += decoder.decode(chunk, { stream: true });
    isDrained = true;
  })();
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return child.exited;
  };
  return {
    process: child,
    stderr: () => text,
    waitForStderr: (pattern, label = String(pattern)) =>
      waitFor(() => pattern.exec(text) ?? (isDrained ? exitedEarly(child, text) : null), {
        label: `${label} on stderr`,
      }),
    stop,
    exited: child.exited.then(async (code) => {
      await drained;
      return code;
    }),
    [Symbol.asyncDispose]: async () => {
      await stop("SIGKILL");
      await drained;
    },
  };
}

function exitedEarly(child: Bun.Subprocess, stderr: string): never {
  throw new Error(`the executor exited (${child.exitCode}) early; stderr:\n${stderr}`);
}
