// Guards bounded memory under a slow reader (hardening §2). A reader that is merely slow holds the
// program back and loses nothing; one that stops reading (500 MB flood) is declared stalled, its
// output notifications are dropped with one notice, the server stays responsive and its RSS
// bounded, and the data stays readable through process/read.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { TestClient } from "../support/client.ts";
import { startCli, startTestServer } from "../support/harness.ts";
import { sh, startParams } from "../support/process.ts";
import { RawWebSocket } from "../support/raw-ws.ts";
import { isAlive, waitFor } from "../support/wait.ts";

const FLOOD_BYTES = 500 * 1024 * 1024;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function startReader(url: string) {
  const reader = await RawWebSocket.connect(url);
  const init = reader.request("initialize", { clientName: "slow" });
  const { result } = (await reader.response(init)) as { result: { sessionId: string } };
  reader.notify("initialized", {});
  return Object.assign(reader, { sessionId: result.sessionId });
}

test("500 MB at a reader that never reads: RSS stays bounded, others are served", async () => {
  await using server = await startCli([
    "--send-buffer-bytes",
    String(4 * 1024 * 1024),
    "--slow-reader-ms",
    "200",
  ]);
  const reader = await startReader(server.url);
  try {
    const flood = sh(`head -c ${FLOOD_BYTES} /dev/zero; echo $$ > /dev/null`);
    reader.pause();
    reader.request("process/start", flood);
    let peak = 0;
    const floodPid = await waitFor(
      () => {
        peak = Math.max(peak, rssBytes(server.process.pid));
        return findHead();
      },
      { label: "the flooding process to start" },
    );
    await using other = await TestClient.session(server.url);
    while (isAlive(floodPid)) {
      peak = Math.max(peak, rssBytes(server.process.pid));
      expect(await other.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
    }
    peak = Math.max(peak, rssBytes(server.process.pid));
    console.log(
      `slow-reader flood: ${FLOOD_BYTES / 2 ** 20} MiB, server peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB`,
    );
    // Output kept: 1 MiB retention; send buffer: a few MiB before dropping; the rest is the runtime.
    expect(peak).toBeLessThan(200 * 1024 * 1024);
    // The flood really went through the server: chunks are at most 64 KiB, so the retained ones
    // come after seq 8,000.
    reader.resume();
    const id = reader.request("process/read", { processId: flood.processId, afterSeq: 0, maxBytes: 1 });
    const { result } = (await reader.response(id, 30_000)) as { result: { chunks: { seq: number }[] } };
    expect(result.chunks[0]?.seq).toBeGreaterThan(FLOOD_BYTES / 65536 - 100);
  } finally {
    reader.destroy();
  }
}, 60_000);

/** The pid of the `head -c 524288000` flooding process. */
function findHead(): number | undefined {
  for (const name of require("node:fs").readdirSync("/proc") as string[]) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "latin1") === `head\0-c\0${FLOOD_BYTES}\0/dev/zero\0`)
        return Number(name);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

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
    // Held back by the paused reader, the program blocks writing its output (Bun gives it a
    // socket pair rather than a pipe, hence either wait channel).
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
