// Guards ExecServerClient: connect timeout, transport errors for pending and new calls when the
// server dies, and resume after a drop with every byte delivered exactly once, in order.
import { expect, test } from "bun:test";
import { RequestTimeout, TransportClosed } from "../../src/errors.ts";
import { RemoteProcess } from "../../src/process/remote.ts";
import type { ProcessEvent } from "../../src/process/types.ts";
import { ExecServerClient } from "../../src/rpc/client.ts";
import { startTestServer } from "../support/harness.ts";
import { waitFor } from "../support/wait.ts";

const ENTRY = new URL("../../src/index.ts", import.meta.url).pathname;

const start = (processId: string, script: string, extra: object = {}) => ({
  processId,
  argv: ["/bin/sh", "-c", script],
  cwd: "/tmp",
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  tty: false,
  ...extra,
});

test("connect gives up after its timeout when the server never answers the handshake", async () => {
  const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const started = performance.now();
    const error = await ExecServerClient.connect(`ws://127.0.0.1:${silent.port}`, {
      connectTimeoutMs: 200,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(RequestTimeout);
    expect(performance.now() - started).toBeLessThan(5000);
  } finally {
    silent.stop(true);
  }
});

test("connecting to a closed port is a TransportClosed error", async () => {
  const server = startTestServer();
  const url = server.url;
  await server.stop();
  await expect(ExecServerClient.connect(url)).rejects.toBeInstanceOf(TransportClosed);
});

test("killing the server fails pending and new calls with a transport error", async () => {
  const server = startTestServer();
  const client = await ExecServerClient.connect(server.url);
  await client.call("process/start", start("p", "sleep 30"));
  // Its failure is taken at once: it may come while the server is still stopping.
  const pending = client
    .call("process/read", { processId: "p", afterSeq: 0, waitMs: 20_000 })
    .catch((e) => e);
  await server.stop();
  expect(await pending).toBeInstanceOf(TransportClosed);
  await expect(client.call("fs/getMetadata", { path: "/" })).rejects.toBeInstanceOf(TransportClosed);
});

test("after a drop, reconnect resumes and every byte arrives exactly once, in order", async () => {
  await using server = startTestServer({ retainedOutputBytes: 16 * 1024 * 1024 });
  await using client = await ExecServerClient.connect(server.url);
  const processes = new RemoteProcess(client);
  const events: ProcessEvent[] = [];
  processes.subscribe((event) => events.push(event));
  const script =
    "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo line-$i; [ $((i % 200)) -eq 0 ] && sleep 0.02; done";
  await processes.start(start("p", script));
  await waitFor(() => events.length >= 2, { label: "some output before the drop" });
  const sessionId = client.sessionId;
  await client.reconnect();
  expect(client.sessionId).toBe(sessionId);
  await waitFor(() => events.find((e) => e.type === "closed"), {
    label: "the closed event",
    timeoutMs: 20_000,
  });
  const seqs = events.map((e) => (e.type === "output" ? e.chunk.seq : e.seq));
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  const output = Buffer.concat(
    events.flatMap((e) => (e.type === "output" ? [e.chunk.bytes] : [])),
  ).toString();
  expect(output).toBe(Array.from({ length: 2000 }, (_, i) => `line-${i + 1}\n`).join(""));
  expect(events.filter((e) => e.type === "exited")).toEqual([
    { type: "exited", processId: "p", seq: expect.any(Number), exitCode: 0, signal: null },
  ]);
});

test("a process that finished while disconnected is caught up with its exit and close", async () => {
  await using server = startTestServer();
  await using client = await ExecServerClient.connect(server.url);
  const processes = new RemoteProcess(client);
  const events: ProcessEvent[] = [];
  processes.subscribe((event) => events.push(event));
  await processes.start(start("q", "read x; echo $x; exit 9", { pipeStdin: true }));
  await client.call("process/write", { processId: "q", chunk: Buffer.from("bye\n").toString("base64") });
  // Drop before anything can be seen, then resume: the catch-up rebuilds output, exit and close.
  await client.close();
  await client.reconnect();
  await waitFor(() => events.find((e) => e.type === "closed"), { label: "closed after catch-up" });
  expect(events.map((e) => e.type)).toEqual(["output", "exited", "closed"]);
  expect(events[1]).toMatchObject({ exitCode: 9, seq: 2 });
});

test("a refused initialize closes what it opened; a server program cannot be reconnected to", async () => {
  const { readdirSync, readFileSync } = await import("node:fs");
  const marker = String(30_000 + Math.floor(Math.random() * 10_000));
  const argv = [
    process.execPath,
    ENTRY,
    "--listen",
    "stdio",
    "--log-level",
    "error",
    "--session-ttl-ms",
    marker,
  ];
  const running = () =>
    readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .some((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(marker);
        } catch {
          return false;
        }
      });
  await expect(ExecServerClient.spawn(argv, { resumeSessionId: "nope" })).rejects.toThrow(
    "unknown session id nope",
  );
  await waitFor(() => !running(), { label: "the server program to end after the refused initialize" });
  await using client = await ExecServerClient.spawn(argv);
  await expect(client.reconnect()).rejects.toThrow("cannot be reconnected");
});
