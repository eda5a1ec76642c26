// Guards bounded memory (hardening §2): sessions, processes per session, requests in flight,
// frame size; and keepalive (§6): a peer that stops answering pings is closed and detached.
import { expect, test } from "bun:test";
import { startTestServer } from "../support/harness.ts";
import { sh } from "../support/process.ts";
import { RawWebSocket } from "../support/raw-ws.ts";
import { waitFor } from "../support/wait.ts";

test("sessions beyond the limit are refused; a freed slot can be used again", async () => {
  await using server = startTestServer({ limits: { maxSessions: 2 }, sessionTtlMs: 50 });
  const a = await server.session();
  await using _b = await server.session();
  await using third = await server.connect();
  expect((await third.request("initialize", { clientName: "t" })).error).toMatchObject({
    code: -32600,
    message: "too many sessions (limit 2)",
  });
  await a.close();
  await waitFor(async () => !(await third.request("initialize", { clientName: "t" })).error, {
    label: "a slot after the first session expired",
  });
});

test("processes per session beyond the limit are refused", async () => {
  await using server = startTestServer({ limits: { maxProcessesPerSession: 2 } });
  await using client = await server.session();
  await client.call("process/start", sh("sleep 5"));
  await client.call("process/start", sh("sleep 5"));
  expect((await client.request("process/start", sh("sleep 5"))).error).toMatchObject({
    code: -32600,
    message: "too many processes in this session (limit 2)",
  });
});

test("requests in flight beyond the limit are refused at once, others still served", async () => {
  await using server = startTestServer({ limits: { maxPendingRequests: 2 } });
  await using client = await server.session();
  const params = sh("sleep 0.3");
  await client.call("process/start", params);
  const polls = [0, 1].map(() =>
    client.request("process/read", { processId: params.processId, waitMs: 5000 }),
  );
  const refused = await client.request("process/read", { processId: params.processId, waitMs: 5000 });
  expect(refused.error).toMatchObject({
    code: -32600,
    message: "too many requests in flight on this connection (limit 2)",
  });
  // Other calls have their own share of the limit.
  expect(await client.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
  // Once the polls return (the process exits), the connection polls again.
  for (const poll of polls) expect((await poll).result).toMatchObject({ exited: true });
  expect(await client.call("process/read", { processId: params.processId })).toMatchObject({ exited: true });
});

test("a frame over the size limit closes that connection, not the server", async () => {
  await using server = startTestServer({ limits: { maxFrameBytes: 4096 } });
  const raw = await RawWebSocket.connect(server.url);
  raw.send(JSON.stringify({ id: 1, method: "initialize", params: { clientName: "x".repeat(10_000) } }));
  await waitFor(() => raw.isClosed, { label: "the oversized connection to close" });
  await using client = await server.session();
  expect(await client.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
});

test("keepalive: a peer that ignores pings is closed and its session detached; a live one stays", async () => {
  await using server = startTestServer({ keepaliveMs: 40 });
  const silent = await RawWebSocket.connect(server.url, { answerPings: false });
  const id = silent.request("initialize", { clientName: "half-open" });
  const { result } = (await silent.response(id)) as { result: { sessionId: string } };
  silent.notify("initialized", {});
  await using live = await server.session();
  await waitFor(() => silent.isClosed, { label: "the silent connection to be closed" });
  expect(silent.pings).toBeGreaterThan(0);
  expect(server.sessions.get(result.sessionId)?.attachment?.isDetached).toBe(true);
  // The live client answered every ping and is still served.
  expect(await live.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
  expect(server.sessions.get(live.sessionId)?.attachment?.isDetached).toBe(false);
});
