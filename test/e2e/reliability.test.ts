// Guards issue 14's findings 4–16: no request freezes or exhausts the server, honest work is not
// refused by limits meant for hostile clients, and input is refused rather than silently altered.
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OrphanReaper } from "../../src/process/reaper.ts";
import { TestClient } from "../support/client.ts";
import { startCli, startTestServer } from "../support/harness.ts";
import { readAll, sh, startParams } from "../support/process.ts";
import { tempDir } from "../support/tmp.ts";
import { isAlive, waitFor } from "../support/wait.ts";

test("4: a backtracking-prone env glob does not freeze the server", async () => {
  await using server = await startCli();
  await using client = await TestClient.session(server.url);
  await using other = await TestClient.session(server.url);
  const name = "a".repeat(40);
  const params = startParams(["/usr/bin/env"], {
    envPolicy: {
      inherit: "none",
      ignoreDefaultExcludes: true,
      exclude: [],
      set: { [name]: "x" },
      includeOnly: [`${"*a".repeat(20)}*b`, "PATH"],
    },
  });
  const started = client.request("process/start", params);
  // Another session is answered while the glob is matched.
  expect(await other.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
  expect((await started).result).toMatchObject({ processId: params.processId });
  await client.waitForClosed(params.processId);
  expect(client.outputOf(params.processId).toString()).not.toContain(name);
});

test("5: fs/readFile refuses a file over the limit, saying how big it is", async () => {
  await using server = startTestServer({ limits: { maxReadFileBytes: 1000 } });
  await using client = await server.session();
  using dir = tempDir();
  const big = join(dir.path, "big");
  writeFileSync(big, "");
  truncateSync(big, 5000);
  expect((await client.request("fs/readFile", { path: big })).error).toMatchObject({
    code: -32600,
    message: `${big} is 5000 bytes, over the fs/readFile limit of 1000 bytes`,
  });
  const small = join(dir.path, "small");
  writeFileSync(small, "x".repeat(1000));
  expect(await client.call("fs/readFile", { path: small })).toEqual({
    dataBase64: Buffer.from("x".repeat(1000)).toString("base64"),
  });
});

test("6: a waitMs past the timer range is clamped, not a timer firing every millisecond", async () => {
  await using server = await startCli();
  await using client = await TestClient.session(server.url);
  const params = sh("sleep 60");
  await client.call("process/start", params);
  const polls = [2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER].map((waitMs) =>
    client.request("process/read", { processId: params.processId, waitMs }),
  );
  // Round trips while the polls wait: each poll is one timer, not a spin.
  for (let i = 0; i < 20; i++) await client.call("fs/getMetadata", { path: "/" });
  await client.call("process/terminate", { processId: params.processId });
  for (const poll of polls) expect((await poll).result).toMatchObject({ exited: true });
  await server.stop();
  expect(await server.stderr()).not.toContain("TimeoutOverflowWarning");
});

test("8: closed processes do not count against the per-session limit", async () => {
  await using server = startTestServer({ limits: { maxProcessesPerSession: 3 } });
  await using client = await server.session();
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const params = sh(`echo run-${i}`);
    expect((await client.request("process/start", params)).error).toBeUndefined();
    await client.waitForClosed(params.processId);
    ids.push(params.processId);
  }
  // The newest closed stay readable; the oldest closed were dropped to make room.
  expect((await readAll(client, ids.at(-1) as string)).bytes.toString()).toBe("run-9\n");
  expect((await client.request("process/read", { processId: ids[0] })).error).toMatchObject({
    code: -32600,
    message: `unknown process id ${ids[0]}`,
  });
  // Live processes still count.
  for (let i = 0; i < 3; i++) await client.call("process/start", sh("sleep 30"));
  expect((await client.request("process/start", sh("sleep 30"))).error).toMatchObject({
    code: -32600,
    message: "too many processes in this session (limit 3)",
  });
});

test("9: detached sessions with no live process do not lock out new clients", async () => {
  await using server = startTestServer({ limits: { maxSessions: 3 }, sessionTtlMs: 60_000 });
  for (let i = 0; i < 6; i++) {
    const client = await server.session();
    await client.close();
    await waitFor(() => server.sessions.get(client.sessionId)?.attachment?.isDetached, { label: "detach" });
  }
  await using fresh = await server.session();
  expect(fresh.sessionId).toBeString();
  // A detached session that still runs a program is not taken away.
  const busy: string[] = [];
  for (let i = 0; i < 2; i++) {
    const client = await server.session();
    await client.call("process/start", sh("sleep 30"));
    await client.close();
    busy.push(client.sessionId);
  }
  await using refused = await server.connect();
  expect((await refused.request("initialize", { clientName: "t" })).error).toMatchObject({
    code: -32600,
    message: "too many sessions (limit 3)",
  });
  for (const id of busy) expect(server.sessions.get(id)).toBeDefined();
});

test("10: control calls are answered while long polls fill the in-flight limit", async () => {
  await using server = startTestServer({ limits: { maxPendingRequests: 4 } });
  await using client = await server.session();
  const params = sh("sleep 30");
  await client.call("process/start", params);
  const polls = Array.from({ length: 4 }, () =>
    client.request("process/read", { processId: params.processId, waitMs: 30_000 }),
  );
  expect(
    (await client.request("process/read", { processId: params.processId, waitMs: 30_000 })).error,
  ).toMatchObject({
    code: -32600,
    message: "too many requests in flight on this connection (limit 4)",
  });
  expect(await client.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
  expect(await client.call("process/terminate", { processId: params.processId })).toEqual({ running: true });
  for (const poll of polls) expect((await poll).result).toMatchObject({ exited: true });
});

test("11: a connection that does not initialize in time is closed", async () => {
  await using server = startTestServer({ limits: { handshakeTimeoutMs: 100 } });
  const idle = await server.connect();
  await waitFor(() => !idle.isOpen, { label: "the idle connection to be closed" });
  // One that initializes in time stays.
  await using client = await server.session();
  expect(await client.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
});

test("15: fs/remove refuses the root, however it is spelled", async () => {
  await using server = startTestServer();
  await using client = await server.session();
  for (const path of ["/", "/x/../..", "//", "/tmp/.."]) {
    expect((await client.request("fs/remove", { path, recursive: false, force: false })).error).toEqual({
      code: -32600,
      message: "refusing to remove /",
      data: { kind: "invalidRequest" },
    });
  }
});

test("16: on SIGTERM the server reaps its own children before it exits", async () => {
  // This test process adopts what the server leaves behind, so an unreaped child shows as our zombie.
  const reaper = new OrphanReaper(() => false);
  if (!reaper.isActive) return;
  try {
    await using server = await startCli();
    const client = await TestClient.session(server.url);
    const params = sh("echo $$; exec sleep 60");
    await client.call("process/start", params);
    const pid = Number(
      (
        await waitFor(
          () =>
            client
              .outputOf(params.processId)
              .toString()
              .match(/^(\d+)\n/),
          { label: "the pid" },
        )
      )[1],
    );
    await server.stop("SIGTERM");
    const zombies = readdirSync("/proc").filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return state === "Z" && Number(ppid) === process.pid && Number(name) === pid;
      } catch {
        return false;
      }
    });
    expect(zombies).toEqual([]);
    expect(isAlive(pid)).toBe(false);
  } finally {
    reaper.reap();
  }
});

/** process/write of 4 MiB to one process, as often as called. */
function writeFourMiB(client: TestClient, processId: string) {
  const chunk = Buffer.alloc(4 * 1024 * 1024, 97).toString("base64");
  return () => client.request("process/write", { processId, chunk });
}

/** Two writes are taken while the program reads nothing; the third passes the 8 MiB limit. */
async function expectStdinLimit(write: ReturnType<typeof writeFourMiB>): Promise<void> {
  expect((await write()).result).toEqual({ status: "accepted" });
  expect((await write()).result).toEqual({ status: "accepted" });
  const refused = await write();
  expect(refused.error?.code).toBe(-32600);
  expect(refused.error?.message).toMatch(
    /^process p\d+ has \d+ bytes of stdin not yet read by the program \(limit 8388608\)$/,
  );
}

test("7: writes to a program that does not read stdin are bounded and answered", async () => {
  await using server = startTestServer();
  await using client = await server.session();
  const params = sh("sleep 30", { pipeStdin: true });
  await client.call("process/start", params);
  const write = writeFourMiB(client, params.processId);
  await expectStdinLimit(write);
  await client.call("process/terminate", { processId: params.processId });
  await client.waitForClosed(params.processId);
  expect((await write()).result).toEqual({ status: "stdinClosed" });
});

test("7: closeStdin is answered while queued stdin waits; the program reads it all, then end of file", async () => {
  await using server = startTestServer();
  await using client = await server.session();
  using dir = tempDir();
  const go = join(dir.path, "go");
  // Reads nothing until `go` exists: the write waits in the queue, and so does the close.
  const params = sh(`while [ ! -e ${go} ]; do sleep 0.01; done; wc -c`, { pipeStdin: true });
  await client.call("process/start", params);
  const write = writeFourMiB(client, params.processId);
  expect((await write()).result).toEqual({ status: "accepted" });
  expect(await client.call("process/closeStdin", { processId: params.processId })).toEqual({
    status: "accepted",
  });
  expect((await write()).result).toEqual({ status: "stdinClosed" });
  writeFileSync(go, "");
  await client.waitForClosed(params.processId);
  expect(client.outputOf(params.processId).toString().trim()).toBe(String(4 * 1024 * 1024));
});

test("7: a PTY's input is bounded as a pipe's is, and taken again once the program reads", async () => {
  await using server = startTestServer();
  await using client = await server.session();
  using dir = tempDir();
  const [ready, go] = [join(dir.path, "ready"), join(dir.path, "go")];
  // Raw mode: the kernel keeps what the program has not read (in canonical mode it may take and
  // discard what passes its line buffer); no echo, so the input does not come back as output.
  // Nothing is read until `go` exists.
  const script = `stty raw -echo; : > ${ready}; while [ ! -e ${go} ]; do sleep 0.01; done; exec cat > /dev/null`;
  const params = sh(script, { tty: true });
  await client.call("process/start", params);
  await waitFor(() => existsSync(ready), { label: "the terminal in raw mode" });
  const write = writeFourMiB(client, params.processId);
  await expectStdinLimit(write);
  // ^D is one byte and goes past the limit.
  expect(await client.call("process/closeStdin", { processId: params.processId })).toEqual({
    status: "accepted",
  });
  writeFileSync(go, "");
  await waitFor(async () => (await write()).result, { label: "a write taken after the program read" });
  await client.call("process/terminate", { processId: params.processId });
  await client.waitForClosed(params.processId);
});

test("7: a write to a PTY that closed with input waiting fails as a closed terminal, not as a full one", async () => {
  await using server = startTestServer();
  await using client = await server.session();
  using dir = tempDir();
  const ready = join(dir.path, "ready");
  const params = sh(`stty raw -echo; : > ${ready}; exec sleep 30`, { tty: true });
  await client.call("process/start", params);
  await waitFor(() => existsSync(ready), { label: "the terminal in raw mode" });
  const write = writeFourMiB(client, params.processId);
  expect((await write()).result).toEqual({ status: "accepted" });
  expect((await write()).result).toEqual({ status: "accepted" });
  await client.call("process/terminate", { processId: params.processId });
  await client.waitForClosed(params.processId);
  const late = await client.request("process/write", { processId: params.processId, chunk: "eA==" });
  expect(late.error).toMatchObject({ code: -32603, message: "failed to write to process stdin" });
});

test("12: text the OS would alter or cut is refused (-32602) without echoing it", async () => {
  await using server = startTestServer();
  await using client = await server.session();
  const secret = "s3cr3t";
  const cases: Record<string, unknown>[] = [
    { argv: ["/bin/echo", "s\ud800.txt"] },
    { argv: ["/bin/echo", `${secret}\0`] },
    { env: { A: `${secret}\udc00` } },
    { env: { A: `${secret}\0x` } },
    { env: { "A=B": secret } },
    { env: { "": secret } },
    { env: JSON.parse(`{"__proto__": "${secret}"}`) },
    {
      envPolicy: {
        inherit: "none",
        ignoreDefaultExcludes: true,
        exclude: [],
        includeOnly: [],
        set: { "X=Y": secret },
      },
    },
    { cwd: `/tmp/${secret}\0` },
    { cwd: "" },
    { cwd: "." },
    { arg0: `${secret}\0` },
  ];
  for (const overrides of cases) {
    const params = startParams(["/bin/echo", "hi"], overrides);
    const { error } = await client.request("process/start", params);
    expect([overrides, error?.code]).toEqual([overrides, -32602]);
    expect(error?.message).not.toContain(secret);
  }
  for (const path of ["/tmp/s\ud800.txt", "/tmp/s\udc00.txt"]) {
    const { error } = await client.request("fs/writeFile", { path, dataBase64: "" });
    expect([path, error?.code]).toEqual([path, -32602]);
  }
});

test("14: a program's stdin, stdout and stderr are pipes, and their descriptors are released", async () => {
  await using server = startTestServer();
  await using client = await server.session();
  const fds = () => readdirSync("/proc/self/fd").length;
  const before = fds();
  const script = "for f in 0 1 2; do [ -p /proc/self/fd/$f ] && echo pipe-$f >&2; done; cat";
  const params = sh(script, { pipeStdin: true });
  await client.call("process/start", params);
  await client.call("process/write", {
    processId: params.processId,
    chunk: Buffer.from("in\n").toString("base64"),
  });
  await client.call("process/closeStdin", { processId: params.processId });
  await client.waitForClosed(params.processId);
  expect(client.outputOf(params.processId, "stderr").toString()).toBe("pipe-0\npipe-1\npipe-2\n");
  expect(client.outputOf(params.processId, "stdout").toString()).toBe("in\n");
  // Without pipeStdin, stdin is /dev/null.
  const plain = sh("[ -p /proc/self/fd/1 ] && echo out-pipe; cat");
  await client.call("process/start", plain);
  await client.waitForClosed(plain.processId);
  expect(client.outputOf(plain.processId).toString()).toBe("out-pipe\n");
  await waitFor(() => fds() <= before, { label: "every pipe end to be closed" });
});
