// Guards the wire of http/request (+ bodyDelta), the file-handle methods, fs/walk,
// fs/canonicalize, fs/watchMissing and environmentConfig/read: the reference's gates, codes and
// messages, result-before-delta order, per-connection state, and a streamed body that waits for a
// reader that stops reading.
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RpcError, TestClient } from "../support/client.ts";
import { startTestServer } from "../support/harness.ts";
import { serve, steppedBody, stopHttpServers } from "../support/http.ts";
import { RawWebSocket } from "../support/raw-ws.ts";
import { workspaceSandbox } from "../support/sandbox.ts";
import { tempDir } from "../support/tmp.ts";
import { waitFor } from "../support/wait.ts";

afterEach(stopHttpServers);
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: RpcError) => ({ code: error.code, message: error.message }),
  );

test("gates: each group's own words before initialize and before initialized", async () => {
  await using server = startTestServer();
  await using client = await TestClient.connect(server.url);
  const calls: [string, unknown, string][] = [
    ["http/request", { method: "GET", url: "http://127.0.0.1:1/", requestId: "x" }, "http methods"],
    ["fs/open", { handleId: "h", path: "/tmp" }, "filesystem methods"],
    ["fs/watchMissing", { watchId: 1, missing: [] }, "filesystem methods"],
    [
      "environmentConfig/read",
      { cwd: "/", configPaths: [["a"]], requirementsPaths: [] },
      "environment config methods",
    ],
  ];
  for (const [method, params, what] of calls) {
    expect(await errorOf(client.call(method, params))).toEqual({
      code: -32600,
      message: `client must call initialize before using ${what}`,
    });
  }
  // Params are checked before the gate, as on the reference.
  expect((await errorOf(client.call("fs/open", {})))?.code).toBe(-32602);
  await client.call("initialize", { clientName: "t" });
  for (const [method, params, what] of calls) {
    expect(await errorOf(client.call(method, params))).toEqual({
      code: -32600,
      message: `client must send initialized before using ${what}`,
    });
  }
});

test("http/request streamResponse: the result, then ordered deltas ending in done", async () => {
  await using server = startTestServer();
  await using client = await TestClient.session(server.url);
  const gate = Promise.withResolvers<void>();
  const base = serve(() => new Response(steppedBody("part1-", gate.promise, "part2")));
  const params = { method: "GET", url: base, requestId: "s1", streamResponse: true };
  const result = (await client.call("http/request", params)) as { status: number; bodyBase64: string };
  expect([result.status, result.bodyBase64]).toEqual([200, ""]);
  expect(await errorOf(client.call("http/request", params))).toEqual({
    code: -32602,
    message: "http/request streamResponse requestId `s1` is already active",
  });
  gate.resolve();
  await client.waitForNotification((m) => m.method === "http/request/bodyDelta" && m.params?.done === true);
  const deltas = client.notifications.filter((m) => m.method === "http/request/bodyDelta");
  expect(deltas.map((m) => m.params)).toEqual([
    {
      requestId: "s1",
      seq: 1,
      deltaBase64: Buffer.from("part1-").toString("base64"),
      done: false,
      error: null,
    },
    {
      requestId: "s1",
      seq: 2,
      deltaBase64: Buffer.from("part2").toString("base64"),
      done: false,
      error: null,
    },
    { requestId: "s1", seq: 3, deltaBase64: "", done: true, error: null },
  ]);
  // The result came before the first delta on the wire.
  const resultIndex = client.messages.findIndex(
    (m) => (m.result as { status?: number } | undefined)?.status === 200,
  );
  expect(resultIndex).toBeLessThan(client.messages.indexOf(deltas[0] as (typeof client.messages)[number]));
  // Done: the id may be used again.
  expect(
    ((await client.call("http/request", { ...params, streamResponse: false })) as { status: number }).status,
  ).toBe(200);
});

test("http/request params: the reference's refusals", async () => {
  await using server = startTestServer();
  await using client = await TestClient.session(server.url);
  const base = { method: "GET", url: "http://127.0.0.1:1/", requestId: "r" };
  expect((await errorOf(client.call("http/request", { ...base, requestId: undefined })))?.code).toBe(-32602);
  expect((await errorOf(client.call("http/request", { ...base, redirectPolicy: "never" })))?.code).toBe(
    -32602,
  );
  expect((await errorOf(client.call("http/request", { ...base, headers: null })))?.code).toBe(-32602);
  expect((await errorOf(client.call("http/request", { ...base, timeoutMs: -1 })))?.code).toBe(-32602);
  expect(await errorOf(client.call("http/request", { ...base, url: "ftp://127.0.0.1/" }))).toEqual({
    code: -32602,
    message: "http/request only supports http and https URLs, got ftp",
  });
  expect((await errorOf(client.call("http/request", { ...base, bodyBase64: "!!" })))?.code).toBe(-32602);
  const refused = await errorOf(client.call("http/request", base));
  expect(refused?.code).toBe(-32603);
  expect(refused?.message).toStartWith(
    "http/request failed: error sending request for url (http://127.0.0.1:1/)",
  );
});

test("a streamed body is read only as fast as the client takes it", async () => {
  await using server = startTestServer({ limits: { sendBufferBytes: 256 * 1024 } });
  // Far more than the sockets' buffers take (on loopback they grow past 16 MB at times).
  const total = 64 * 1024 * 1024;
  const piece = new Uint8Array(64 * 1024).fill(1);
  let pulled = 0;
  const base = serve(
    () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            if (pulled >= total) return controller.close();
            pulled += piece.byteLength;
            controller.enqueue(piece);
          },
        }),
      ),
  );
  const ws = await RawWebSocket.connect(server.url);
  ws.request("initialize", { clientName: "t" });
  await ws.response(1);
  ws.notify("initialized", {});
  ws.pause();
  ws.request("http/request", { method: "GET", url: base, requestId: "big", streamResponse: true });
  // Wait until the upstream reads stop: the pump is waiting on the full send buffer.
  let last = -1;
  await waitFor(
    () => {
      const stable = pulled > 0 && pulled === last;
      last = pulled;
      return stable;
    },
    { label: "upstream reads to stop", intervalMs: 250 },
  );
  expect(pulled).toBeLessThan(total / 2);
  ws.resume();
  const done = await waitFor(
    () => ws.messages.find((m) => m.method === "http/request/bodyDelta" && m.params?.done === true),
    { label: "the last delta", timeoutMs: 60_000 },
  );
  const deltas = ws.messages.filter((m) => m.method === "http/request/bodyDelta");
  expect(deltas.map((m) => m.params?.seq)).toEqual(deltas.map((_, i) => i + 1));
  const received = deltas.reduce(
    (sum, m) => sum + Buffer.from(String(m.params?.deltaBase64), "base64").length,
    0,
  );
  expect([received, done.params?.error]).toEqual([total, null]);
  ws.destroy();
}, 60_000);

test("file handles belong to the connection: a resumed session has none; errors as the reference", async () => {
  await using server = startTestServer();
  using dir = tempDir();
  const file = join(dir.path, "f.txt");
  writeFileSync(file, "hello");
  const first = await TestClient.session(server.url);
  expect(await first.call("fs/open", { handleId: "h", path: file })).toEqual({ handleId: "h" });
  expect(await first.call("fs/readBlock", { handleId: "h", offset: 0, len: 4 })).toEqual({
    chunk: Buffer.from("hell").toString("base64"),
    eof: false,
  });
  expect((await errorOf(first.call("fs/readBlock", { handleId: "h", offset: -1, len: 4 })))?.code).toBe(
    -32602,
  );
  expect((await errorOf(first.call("fs/open", { handleId: "m", path: file, mode: "write" })))?.code).toBe(
    -32602,
  );
  expect(await errorOf(first.call("fs/open", { handleId: "x".repeat(33), path: file }))).toEqual({
    code: -32600,
    message: "file handle ID must not exceed 32 bytes",
  });
  await first.call("fs/open", { handleId: "w", path: join(dir.path, "new"), mode: "replace" });
  expect((await errorOf(first.call("fs/writeBlock", { handleId: "w", offset: 0, chunk: "!!" })))?.code).toBe(
    -32602,
  );
  expect(await first.call("fs/close", { handleId: "nope" })).toEqual({});
  await first.close();
  await using second = await TestClient.session(server.url, first.sessionId);
  expect(await errorOf(second.call("fs/readBlock", { handleId: "h", offset: 0, len: 4 }))).toEqual({
    code: -32004,
    message: "unknown file handle `h`",
  });
});

test("fs/walk and fs/canonicalize answer file:// URIs; fs/watchMissing notifies after its answer", async () => {
  await using server = startTestServer();
  await using client = await TestClient.session(server.url);
  using dir = tempDir();
  mkdirSync(join(dir.path, "a b"));
  const uri = (path: string) => Bun.pathToFileURL(path).href;
  expect(
    await client.call("fs/walk", {
      path: dir.path,
      options: { maxDepth: 1, maxDirectories: 10, maxEntries: 10, followDirectorySymlinks: false },
    }),
  ).toEqual({
    entries: [{ path: uri(join(dir.path, "a b")), kind: "directory" }],
    errors: [],
    truncated: false,
  });
  expect(await client.call("fs/canonicalize", { path: `${dir.path}/a b/..` })).toEqual({
    path: uri(dir.path),
  });
  expect(await client.call("fs/watchMissing", { watchId: 3, missing: [join(dir.path, "soon")] })).toEqual({
    watching: true,
  });
  writeFileSync(join(dir.path, "soon"), "");
  const changed = await client.waitForNotification((m) => m.method === "fs/missingChanged");
  expect(changed.params).toEqual({ watchId: 3 });
});

test("a closed connection stops its requests in flight, whole or streamed", async () => {
  await using server = startTestServer();
  const waiting: Request[] = [];
  let isBodyCancelled = false;
  const base = serve((request) => {
    if (request.url.endsWith("/stream")) {
      return new Response(
        new ReadableStream({
          pull: (controller) => controller.enqueue(new Uint8Array(1024)),
          cancel: () => {
            isBodyCancelled = true;
          },
        }),
      );
    }
    waiting.push(request);
    return new Promise<Response>(() => {});
  });
  const client = await TestClient.session(server.url);
  void client.request("http/request", { method: "GET", url: `${base}/hang`, requestId: "a" });
  await client.call("http/request", {
    method: "GET",
    url: `${base}/stream`,
    requestId: "b",
    streamResponse: true,
  });
  await waitFor(() => waiting.length > 0, { label: "the hanging request upstream" });
  await client.close();
  await waitFor(() => waiting[0]?.signal.aborted && isBodyCancelled, {
    label: "both upstream requests to be dropped",
  });
});

test('enum fields take serde\'s map form too: {"read": null}', async () => {
  await using server = startTestServer();
  await using client = await TestClient.session(server.url);
  using dir = tempDir();
  const file = join(dir.path, "f");
  writeFileSync(file, "x");
  expect(await client.call("fs/open", { handleId: "a", path: file, mode: { read: null } })).toEqual({
    handleId: "a",
  });
  for (const mode of [{}, { read: {} }, { read: null, replace: null }, { write: null }, "write", null]) {
    expect((await errorOf(client.call("fs/open", { handleId: "b", path: file, mode })))?.code).toBe(-32602);
  }
  const base = serve((request) =>
    request.url.endsWith("/from") ? Response.redirect("/to", 302) : new Response("arrived"),
  );
  const stopped = await client.call("http/request", {
    method: "GET",
    url: `${base}/from`,
    requestId: "r",
    redirectPolicy: { stop: null },
  });
  expect((stopped as { status: number }).status).toBe(302);
});

test("a workspace-write sandbox: fs/open replace only inside the workspace, never .git", async () => {
  await using server = startTestServer();
  await using client = await TestClient.session(server.url);
  using work = tempDir("proto12-work-");
  using outside = tempDir("proto12-outside-");
  mkdirSync(join(work.path, ".git"));
  writeFileSync(join(work.path, ".git/config"), "[core]\n");
  writeFileSync(join(outside.path, "secret"), "s");
  const sandbox = workspaceSandbox(work.path, { method: "fs/writeFile" });
  const readOnly = { code: -32603, message: "Read-only file system (os error 30)" };
  const open = (handleId: string, path: string, mode: string) =>
    errorOf(client.call("fs/open", { handleId, path, mode, sandbox }));
  expect(await open("in", join(work.path, "new.bin"), "replace")).toBeNull();
  expect(await open("out", join(outside.path, "secret"), "replace")).toEqual(readOnly);
  expect(await open("git", join(work.path, ".git/config"), "replace")).toEqual(readOnly);
  // Reads follow the policy: workspace-write reads everything.
  expect(await open("read", join(outside.path, "secret"), "read")).toBeNull();
  expect(readFileSync(join(work.path, ".git/config"), "utf8")).toBe("[core]\n");
  expect(readFileSync(join(outside.path, "secret"), "utf8")).toBe("s");
});
