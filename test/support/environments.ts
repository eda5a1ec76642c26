// The two Environments every contract test runs against: this host, and a real server over a
// real websocket. Same interface, same errors expected.
import { Environment } from "../../src/environment.ts";
import type { ProcessEvent, StartParams } from "../../src/process/types.ts";
import { startTestServer } from "./harness.ts";

const SERVER_ENTRY = new URL("../../src/index.ts", import.meta.url).pathname;

import { waitFor } from "./wait.ts";

export interface EnvironmentOptions {
  retainedOutputBytes?: number;
}

export type EnvironmentFactory = (options?: EnvironmentOptions) => Promise<Environment & AsyncDisposable>;

const local: EnvironmentFactory = async (options = {}) => Environment.local(options);

const remote: EnvironmentFactory = async (options = {}) => {
  const server = startTestServer(options);
  const env = await Environment.remote(server.url);
  const close = env.close.bind(env);
  return Object.assign(env, {
    close: async () => {
      await close();
      await server.stop();
    },
    [Symbol.asyncDispose]: async () => {
      await close();
      await server.stop();
    },
  });
};

/** A server started as a program, over its stdio (what environments.toml `program` entries do). */
const stdio: EnvironmentFactory = async (options = {}) => {
  const flags = options.retainedOutputBytes
    ? ["--retained-output-bytes", String(options.retainedOutputBytes)]
    : [];
  return Environment.program([
    process.execPath,
    SERVER_ENTRY,
    "--listen",
    "stdio",
    "--log-level",
    "warn",
    ...flags,
  ]);
};

export const ENVIRONMENTS: [string, EnvironmentFactory][] = [
  ["local", local],
  ["remote", remote],
  ["stdio", stdio],
];

/** Record every process event of an Environment, with helpers to wait for and decode them. */
export function recorder(env: Environment) {
  const events: ProcessEvent[] = [];
  env.process.subscribe((event) => events.push(event));
  const of = (processId: string) => events.filter((e) => e.processId === processId);
  return {
    events,
    of,
    output(processId: string, stream?: string): string {
      return Buffer.concat(
        of(processId).flatMap((e) =>
          e.type === "output" && (!stream || e.chunk.stream === stream) ? [e.chunk.bytes] : [],
        ),
      ).toString();
    },
    exit(processId: string) {
      return of(processId).find((e) => e.type === "exited");
    },
    closed(processId: string, timeoutMs = 10_000) {
      return waitFor(() => of(processId).find((e) => e.type === "closed"), {
        label: `closed event of ${processId}`,
        timeoutMs,
      });
    },
  };
}

let counter = 0;

/** Options for `/bin/sh -c script` in /tmp with a fresh process id; `extra` overrides any of them. */
export function shell(script: string, extra: Partial<StartParams> = {}): StartParams {
  return {
    processId: `c${++counter}`,
    argv: ["/bin/sh", "-c", script],
    cwd: "/tmp",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    tty: false,
    pipeStdin: false,
    arg0: null,
    ...extra,
  };
}
