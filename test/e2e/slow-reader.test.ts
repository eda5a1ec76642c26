// Guards a slow reader (hardening §2). A reader that is merely slow holds the program back and
// loses nothing; one that stops reading is declared stalled, its output notifications are dropped
// with one notice, its programs are held at their retention limit (output-hold.ts), the server
// stays responsive, and the data stays readable through process/read.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { TestClient } from "../support/client.ts";
import { startTestServer } from "../support/harness.ts";
import { sh, startParams } from "../support/process.ts";
import { RawWebSocket } from "../support/raw-ws.ts";
import { waitFor } from "../support/wait.ts";

async function startReader(url: string) {
  const reader = await RawWebSocket.connect(url);
  const init = reader.request("initialize", { clientName: "slow" });
  const { result } = (await reader.response(init)) as { result: { sessionId: string } };
  reader.notify("initialized", {});
  return Object.assign(reader, { sessionId: result.sessionId });
}

test("20 floods at a reader that stalls: each program is held, others are served, nothing is lost", async () => {
  // The memory bound under a 20 × 20 MB flood is measured by bench/held-flood.ts; here it is 20 ×
  // 2 MB with a small retention, and the point is that the stall loses nothing.
  const PROCESSES = 20;
  const LINES = 300_000;
  await using server = startTestServer({
    limits: { sendBufferBytes: 256 * 1024, slowReaderMs: 200 },
    retainedOutputBytes: 64 * 1024,
    // This reader reads one program after another: the last ones are read late.
    readPatienceMs: 30_000,
    firstReadPatienceMs: 30_000,
  });
  const reader = await startReader(server.url);
  try {
    reader.pause();
    const floods = Array.from({ length: PROCESSES }, () => startParams(["seq", "1", String(LINES)]));
    for (const params of floods) reader.request("process/start", params);
    const session = await waitFor(() => server.sessions.get(reader.sessionId), { label: "the session" });
    await waitFor(() => floods.every((p) => session.process.isHeld(p.processId)), {
      label: "every program to be held",
      timeoutMs: 30_000,
    });
    await using other = await TestClient.session(server.url);
    expect(await other.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
    // The reader comes back and reads each program from its first byte.
    reader.resume();
    const expected = `${Array.from({ length: LINES }, (_, i) => i + 1).join("\n")}\n`;
    let whole = 0;
    for (const { processId } of floods) {
      const parts: Buffer[] = [];
      for (let after = 0; ; ) {
        const id = reader.request("process/read", { processId, afterSeq: after, waitMs: 1000 });
        const { result } = (await reader.response(id, 30_000)) as {
          result: { chunks: { chunk: string }[]; nextSeq: number; closed: boolean };
        };
        parts.push(...result.chunks.map((c) => Buffer.from(c.chunk, "base64")));
        if (result.closed && result.chunks.length === 0) break;
        after = result.nextSeq - 1;
      }
      if (Buffer.concat(parts).toString() === expected) whole++;
    }
    expect(whole).toBe(PROCESSES);
  } finally {
    reader.destroy();
  }
}, 60_000);

test("a reader that falls behind is told once, then catches up with process/read", async () => {
  await using server = startTestServer({
    limits: { sendBufferBytes: 256 * 1024, slowReaderMs: 100 },
    retainedOutputBytes: 64 * 1024 * 1024,
  });
  const reader = await startReader(server.url);
  try {
    reader.pause();
    const params = sh("head -c 20000000 /dev/zero");
    reader.request("process/start", params);
    const session = await waitFor(() => server.sessions.get(reader.sessionId), { label: "the session" });
    await waitFor(() => session.process.livePids().length === 1, { label: "the program to start" });
    await waitFor(() => session.process.livePids().length === 0, {
      label: "the flood to finish while the reader is paused",
      timeoutMs: 20_000,
    });
    reader.resume();
    await waitFor(() => reader.messages.some((m) => m.method === "process/closed"), {
      label: "closed notification",
    });
    // One notice per stall, not one per dropped notification (a paused socket still drains a
    // little, so a long flood can make a few stalls).
    const notices = reader.messages.filter((m) => m.method === "process/outputDropped").length;
    const outputs = reader.messages.filter((m) => m.method === "process/output");
    const lastSeq = Number(reader.messages.find((m) => m.method === "process/closed")?.params?.seq);
    const droppedNotifications = lastSeq - 2 - outputs.length;
    expect(notices).toBeGreaterThanOrEqual(1);
    expect(notices * 20).toBeLessThan(droppedNotifications);
    // The reliable path: everything is still there.
    let total = 0;
    for (let after = 0; ; ) {
      const id = reader.request("process/read", { processId: params.processId, afterSeq: after });
      const { result } = (await reader.response(id)) as {
        result: { chunks: { chunk: string }[]; nextSeq: number; closed: boolean };
      };
      total += result.chunks.reduce((n, c) => n + Buffer.from(c.chunk, "base64").length, 0);
      if (result.chunks.length === 0) break;
      after = result.nextSeq - 1;
    }
    expect(total).toBe(20_000_000);
  } finally {
    reader.destroy();
  }
}, 60_000);

test("a reader that is slow but reading holds the program back and loses nothing", async () => {
  await using server = startTestServer({ limits: { sendBufferBytes: 256 * 1024, slowReaderMs: 30_000 } });
  const reader = await startReader(server.url);
  try {
    // Large enough that the paused socket's own buffers cannot take it all.
    const total = 100_000_000;
    const params = startParams(["head", "-c", String(total), "/dev/zero"]);
    reader.pause();
    reader.request("process/start", params);
    const session = await waitFor(() => server.sessions.get(reader.sessionId), { label: "the session" });
    const pid = await waitFor(() => session.process.livePids()[0], {
      label: "the program to start",
    });
    // Held back by the paused reader, the program blocks writing its output (a pipe; a socket
    // pair where the server has no libc to make pipes with, hence either wait channel).
    const wchan = () => {
      try {
        return readFileSync(`/proc/${pid}/wchan`, "utf8");
      } catch {
        return "gone";
      }
    };
    await waitFor(() => /pipe_write|sock_alloc_send/.test(wchan()), {
      label: "the program to block writing its output",
    });
    expect(session.process.livePids()).toEqual([pid]);
    reader.resume();
    await waitFor(() => reader.messages.some((m) => m.method === "process/closed"), {
      label: "closed notification",
      timeoutMs: 30_000,
    });
    expect(reader.messages.filter((m) => m.method === "process/outputDropped")).toEqual([]);
    // Every seq arrived, in order (the exit may fall between two output chunks).
    const events = reader.messages.filter((m) => m.params?.processId === params.processId);
    expect(events.map((m) => m.params?.seq)).toEqual(events.map((_, i) => i + 1));
    const outputs = events.filter((m) => m.method === "process/output");
    expect(outputs.reduce((n, m) => n + Buffer.from(String(m.params?.chunk), "base64").length, 0)).toBe(
      total,
    );
  } finally {
    reader.destroy();
  }
}, 60_000);
