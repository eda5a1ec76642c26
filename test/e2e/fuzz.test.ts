// Guards "bad input never hurts" (hardening §4): 10,000+ malformed or hostile frames at a live
// server while two other sessions run processes. The server keeps answering, never crashes, and the
// other sessions' outputs are byte-exact afterwards.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { TestClient } from "../support/client.ts";
import { startCli } from "../support/harness.ts";
import { sh } from "../support/process.ts";
import { RawWebSocket } from "../support/raw-ws.ts";
import { tempDir } from "../support/tmp.ts";

const FRAMES = 10_000;

/** A small seeded PRNG (mulberry32): the same frames every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frames(root: string, random: () => number): (string | Buffer)[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const int = (n: number) => Math.floor(random() * n);
  const hostileValues = [
    null,
    true,
    -1,
    1.5,
    1e308,
    -0,
    "",
    "x".repeat(1000),
    [],
    [1, "a", null],
    {},
    { nested: { deeper: [1] } },
    "\u0000",
    "../../etc/passwd",
    "%%%notbase64%%%",
  ];
  const ids = [
    1,
    -1,
    0,
    "id",
    "",
    1.5,
    null,
    true,
    [],
    {},
    Number.MAX_SAFE_INTEGER + 2,
    "9".repeat(400),
    -2147483649,
  ];
  const templates: Record<string, Record<string, unknown>> = {
    initialize: { clientName: "fuzz", resumeSessionId: null },
    "process/start": {
      processId: "f",
      argv: ["/bin/true"],
      cwd: root,
      env: {},
      tty: false,
      pipeStdin: false,
      arg0: null,
    },
    "process/read": { processId: "f", afterSeq: 0, maxBytes: 10, waitMs: 0 },
    "process/write": { processId: "f", chunk: "aGk=" },
    "process/terminate": { processId: "f" },
    "process/closeStdin": { processId: "f" },
    "fs/readFile": { path: join(root, "a") },
    "fs/writeFile": { path: join(root, "a"), dataBase64: "aGk=" },
    "fs/createDirectory": { path: join(root, "d"), recursive: true },
    "fs/getMetadata": { path: root },
    "fs/readDirectory": { path: root },
    "fs/remove": { path: join(root, "d"), recursive: true, force: true },
    "fs/copy": { sourcePath: join(root, "a"), destinationPath: join(root, "b"), recursive: false },
  };
  const methods = Object.keys(templates);
  const kinds: (() => string | Buffer)[] = [
    () => Buffer.from(Array.from({ length: int(300) }, () => int(256))),
    () => Array.from({ length: int(200) }, () => String.fromCharCode(32 + int(95))).join(""),
    () => `${"[".repeat(1 + int(50_000))}`,
    () => `${'{"a":'.repeat(1 + int(20_000))}1${"}".repeat(int(20_000))}`,
    () =>
      `{"id":${pick(["1e400", "123456789012345678901234567890", "-0", "1E-400"])},"method":"fs/getMetadata","params":{"path":"/"}}`,
    () => {
      const method = pick(methods);
      const params = { ...templates[method] };
      const field = pick(Object.keys(params));
      params[field] = pick(hostileValues);
      return JSON.stringify({ id: pick(ids), method, params });
    },
    () => JSON.stringify({ id: int(1000), method: pick(methods), params: pick(hostileValues) }),
    () =>
      JSON.stringify({ id: int(1000), method: "fs/readFile", params: { path: `/${"a".repeat(1_000_000)}` } }),
    () =>
      JSON.stringify({
        id: int(1000),
        method: pick(["", "x", "process/", "fs/../process/start", "__proto__", "constructor"]),
      }),
    () => JSON.stringify({ id: pick(ids), method: pick(methods), params: templates[pick(methods)] }),
    () =>
      JSON.stringify({
        id: int(1000),
        method: "process/write",
        params: { processId: "f", chunk: pick(["a", "a===", "-_", "YR==", "\u0000"]) },
      }),
    () =>
      JSON.stringify({
        id: int(1000),
        method: pick(["fs/readFile", "fs/getMetadata"]),
        params: { path: `${root}/nul\u0000byte` },
      }),
    () =>
      JSON.stringify({
        method: pick(["initialized", "process/output", "whatever"]),
        params: pick(hostileValues),
      }),
    () => JSON.stringify({ id: int(1000), result: pick(hostileValues) }),
    () => JSON.stringify({ __proto__: { method: "initialize" }, id: 1 }),
  ];
  return Array.from({ length: FRAMES }, () => pick(kinds)());
}

test(`${FRAMES} hostile frames: no crash, still answering, other sessions byte-exact`, async () => {
  using dir = tempDir();
  await using server = await startCli(["--log-level", "error"]);
  // Two bystander sessions streaming known output while the fuzzer works.
  const bystanders = await Promise.all(
    ["A", "B"].map(async (name) => {
      const client = await TestClient.session(server.url);
      const params = sh(`i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo ${name}-$i; sleep 0.005; done`);
      await client.call("process/start", params);
      return { client, params, name };
    }),
  );

  // Two fuzzing connections, one initialized (typed methods reach their handlers) and one not.
  const open = async (initialize: boolean) => {
    const ws = await RawWebSocket.connect(server.url);
    if (initialize) {
      await ws.response(ws.request("initialize", { clientName: "fuzz" }));
      ws.notify("initialized", {});
    }
    return ws;
  };
  const connections = [await open(true), await open(false)];
  let reconnects = 0;
  let sentinels = 0;
  const all = frames(dir.path, prng(20261124));
  for (let i = 0; i < all.length; i++) {
    const slot = i % 2;
    if ((connections[slot] as RawWebSocket).isClosed) {
      reconnects++;
      connections[slot] = await open(slot === 0);
    }
    const connection = connections[slot] as RawWebSocket;
    const frame = all[i] as string | Buffer;
    connection.send(frame, typeof frame === "string" ? 0x1 : 0x2);
    if (i % 250 >= 248) {
      // A sentinel on each connection proves the server still answers it.
      const response = await connection.response(connection.request("no/such/method", {})).catch(() => null);
      if (response || connection.isClosed) sentinels++;
      expect(response?.error ?? (connection.isClosed ? "closed" : null)).toBeTruthy();
    }
  }
  for (const connection of connections) connection.destroy();
  console.log(
    `fuzz: ${all.length} frames sent, ${sentinels} sentinels answered, ${reconnects} reconnects after the server closed a connection`,
  );

  expect(server.process.exitCode).toBeNull();
  await using probe = await TestClient.session(server.url);
  expect(await probe.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
  for (const { client, params, name } of bystanders) {
    await client.waitForClosed(params.processId, 20_000);
    const expected = Array.from({ length: 300 }, (_, i) => `${name}-${i + 1}\n`).join("");
    expect(client.outputOf(params.processId).toString()).toBe(expected);
    await client.close();
  }
  expect(await server.stop()).toBe(0);
  // No frame reached a code path that failed unexpectedly (those are logged as errors).
  expect(await server.stderr()).not.toContain("unexpected error");
}, 120_000);
