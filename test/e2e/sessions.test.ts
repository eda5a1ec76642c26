// Guards SPEC §4: detach on close, resume without losing a byte, the refusal cases, TTL expiry.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestClient } from "../support/client.ts";
import { startTestServer } from "../support/harness.ts";
import { read, readAll, sh, startFamily } from "../support/process.ts";
import { tempDir } from "../support/tmp.ts";
import { isAlive, waitFor } from "../support/wait.ts";

describe("resume", () => {
  test("a dropped connection mid-stream, resumed, loses no byte", async () => {
    await using server = startTestServer({ retainedOutputBytes: 16 * 1024 * 1024 });
    const first = await server.session();
    const params = sh(
      "i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo line-$i; [ $((i % 300)) -eq 0 ] && sleep 0.02; done",
    );
    await first.call("process/start", params);
    await first.waitForNotification((n) => n.method === "process/output" && Number(n.params?.seq) >= 3, {
      label: "some output before the drop",
    });
    await first.close();
    const seen = first.eventsOf(params.processId).filter((n) => n.method === "process/output");
    const lastSeq = Math.max(...seen.map((n) => Number(n.params?.seq)));
    // Every seq up to the last one seen arrived, in order.
    expect(seen.map((n) => n.params?.seq)).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));

    await using second = await server.session(first.sessionId);
    expect(second.sessionId).toBe(first.sessionId);
    const rest = await readAll(second, params.processId, lastSeq);
    const before = first.outputOf(params.processId);
    const all = Buffer.concat([before, rest.bytes]).toString();
    const expected = Array.from({ length: 3000 }, (_, i) => `line-${i + 1}\n`).join("");
    expect(all).toBe(expected);
    expect(rest.last).toMatchObject({ exited: true, exitCode: 0, closed: true });
  });

  test("notifications go to the resuming connection", async () => {
    await using server = startTestServer();
    const first = await server.session();
    const params = sh("read x; echo after-$x", { pipeStdin: true });
    await first.call("process/start", params);
    await first.close();
    await using second = await server.session(first.sessionId);
    await second.call("process/write", {
      processId: params.processId,
      chunk: Buffer.from("resume\n").toString("base64"),
    });
    await second.waitForClosed(params.processId);
    expect(second.outputOf(params.processId).toString()).toBe("after-resume\n");
  });

  test("a process that closed while its session was detached is readable on resume, then forgotten", async () => {
    const closedRetentionMs = 100;
    await using server = startTestServer({ closedRetentionMs });
    using dir = tempDir();
    const go = join(dir.path, "go");
    const first = await server.session();
    const params = sh(`while [ ! -e ${go} ]; do sleep 0.01; done; echo hi`);
    await first.call("process/start", params);
    await first.close();
    await waitFor(() => server.sessions.get(first.sessionId)?.attachment?.isDetached, {
      label: "the server to see the connection go",
    });
    // It closes while nobody is attached; what it left must outlast the retention by far.
    writeFileSync(go, "");
    await Bun.sleep(5 * closedRetentionMs);
    await using second = await server.session(first.sessionId);
    const { bytes, last } = await readAll(second, params.processId);
    expect(bytes.toString()).toBe("hi\n");
    expect(last).toMatchObject({ exited: true, exitCode: 0, closed: true });
    // Attached again, the clock runs.
    await waitFor(
      async () =>
        (await second.request("process/read", { processId: params.processId })).error?.code === -32600,
      { label: "the closed process to be forgotten after the resume" },
    );
  });

  test("refused while attached, for an unknown id, and after expiry", async () => {
    let now = 1_000_000;
    await using server = startTestServer({ sessionTtlMs: 1000, sweepIntervalMs: 3_600_000, now: () => now });
    const first = await server.session();
    await using intruder = await server.connect();
    expect(
      (await intruder.request("initialize", { clientName: "t", resumeSessionId: first.sessionId })).error,
    ).toEqual({
      code: -32010,
      message: `session ${first.sessionId} is already attached to another connection`,
      data: { kind: "sessionAttached" },
    });
    expect(
      (await intruder.request("initialize", { clientName: "t", resumeSessionId: "nope" })).error,
    ).toMatchObject({
      code: -32600,
      message: "unknown session id nope",
    });
    const params = sh("sleep 30");
    await first.call("process/start", params);
    const pid = server.sessions.get(first.sessionId)?.process.livePids()[0] as number;
    expect(isAlive(pid)).toBe(true);
    await first.close();
    await waitFor(() => server.sessions.get(first.sessionId)?.deadline, { label: "the session to detach" });
    // Past the deadline the sweeper has not run, yet the resume is refused and the process killed.
    now += 1001;
    expect(
      (await intruder.request("initialize", { clientName: "t", resumeSessionId: first.sessionId })).error,
    ).toMatchObject({
      code: -32600,
      message: `unknown session id ${first.sessionId}`,
    });
    await waitFor(() => !isAlive(pid), { label: `process ${pid} to be killed` });
  });

  test("session ids are unguessable and distinct", async () => {
    await using server = startTestServer();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      await using client = await server.session();
      ids.add(client.sessionId);
    }
    expect(ids.size).toBe(20);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe("expiry", () => {
  test("a detached session past its TTL kills its process and the grandchild", async () => {
    await using server = startTestServer({ sessionTtlMs: 100 });
    const client = await server.session();
    const { grandchild, child } = await startFamily(client);
    expect([isAlive(child), isAlive(grandchild)]).toEqual([true, true]);
    await client.close();
    await waitFor(() => !isAlive(child) && !isAlive(grandchild), {
      label: "child and grandchild to be killed",
    });
    expect(server.sessions.get(client.sessionId)).toBeUndefined();
  });

  test("a session within its TTL keeps running while detached", async () => {
    await using server = startTestServer({ sessionTtlMs: 60_000 });
    const client = await server.session();
    const params = sh("read x; echo $x", { pipeStdin: true });
    await client.call("process/start", params);
    await client.close();
    await using back = await server.session(client.sessionId);
    expect(await read(back, { processId: params.processId })).toMatchObject({ exited: false, closed: false });
    await back.call("process/terminate", { processId: params.processId });
  });
});

test("TestClient sees the connection refused after server stop", async () => {
  const server = startTestServer();
  const url = server.url;
  await server.stop();
  await expect(TestClient.connect(url)).rejects.toThrow();
});
