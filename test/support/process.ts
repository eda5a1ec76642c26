// Helpers for process/* tests: start params with defaults, and collecting a run's output.
import type { TestClient } from "./client.ts";

let counter = 0;

export function startParams(argv: string[], overrides: Record<string, unknown> = {}) {
  return {
    processId: `p${++counter}`,
    argv,
    cwd: "/tmp",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    tty: false,
    pipeStdin: false,
    arg0: null,
    ...overrides,
  };
}

export const sh = (script: string, overrides: Record<string, unknown> = {}) =>
  startParams(["/bin/sh", "-c", script], overrides);

/** Start a process and wait until it is closed; returns its id and its notifications. */
export async function run(client: TestClient, params: ReturnType<typeof startParams>, timeoutMs = 10_000) {
  await client.call("process/start", params);
  await client.waitForClosed(params.processId, timeoutMs);
  const events = client.eventsOf(params.processId);
  const exited = events.find((e) => e.method === "process/exited");
  return {
    processId: params.processId,
    events,
    exitCode: exited?.params?.exitCode as number | undefined,
    stdout: client.outputOf(params.processId, "stdout").toString(),
    stderr: client.outputOf(params.processId, "stderr").toString(),
    pty: client.outputOf(params.processId, "pty").toString(),
  };
}

export type ReadResult = {
  chunks: { seq: number; stream: string; chunk: string }[];
  nextSeq: number;
  exited: boolean;
  exitCode: number | null;
  closed: boolean;
  failure: string | null;
  sandboxDenied?: boolean;
};

export function read(client: TestClient, params: Record<string, unknown>): Promise<ReadResult> {
  return client.call("process/read", params) as Promise<ReadResult>;
}

/** Read every retained byte of a process with process/read from afterSeq until it is closed. */
export async function readAll(client: TestClient, processId: string, afterSeq = 0, maxBytes?: number) {
  const chunks: ReadResult["chunks"] = [];
  let next = afterSeq;
  for (;;) {
    const result = await read(client, { processId, afterSeq: next, maxBytes, waitMs: 1000 });
    chunks.push(...result.chunks);
    next = result.nextSeq - 1;
    if (result.closed && result.chunks.length === 0) {
      return {
        chunks,
        bytes: Buffer.concat(chunks.map((c) => Buffer.from(c.chunk, "base64"))),
        last: result,
      };
    }
  }
}

/**
 * Start a shell that leaves a grandchild (`sleep`) running and prints both pids; resolve once they
 * are known. The family every kill test checks by pid.
 */
export async function startFamily(client: TestClient, overrides: Record<string, unknown> = {}) {
  const params = sh("sleep 60 & echo $!; echo $$; wait", overrides);
  await client.call("process/start", params);
  const { waitFor } = await import("./wait.ts");
  const match = await waitFor(
    () =>
      client
        .outputOf(params.processId)
        .toString()
        .match(/^(\d+)\r?\n(\d+)\r?\n/),
    {
      label: `the pids of ${params.processId} and its grandchild`,
    },
  );
  return { params, grandchild: Number(match[1]), child: Number(match[2]) };
}
