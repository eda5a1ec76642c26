// Guards the output hold (issue 14, findings 1–3): a program waits while its unread output is at the
// retention limit, "unread" being what the client's next process/read afterSeq says. Output reaches
// the client whole, byte for byte, after a drop mid-read, a late first read and a detach under load.
import { expect, test } from "bun:test";
import type { Message } from "../support/client.ts";
import { startTestServer, type TestServer } from "../support/harness.ts";
import { type ReadResult, readAll, startParams } from "../support/process.ts";
import { RawWebSocket } from "../support/raw-ws.ts";
import { waitFor } from "../support/wait.ts";

const RETAINED = 64 * 1024;

function seqText(lines: number): string {
  return `${Array.from({ length: lines }, (_, i) => i + 1).join("\n")}\n`;
}

/** Resume a session as soon as the server has seen its old connection go. */
function resume(server: TestServer, sessionId: string) {
  return waitFor(
    async () => {
      try {
        return await server.session(sessionId);
      } catch {
        return undefined;
      }
    },
    { label: "the session to be resumable" },
  );
}

/** Whether the server holds a process (its program waits for the client to read). */
function isHeld(server: TestServer, sessionId: string, processId: string): boolean {
  const process = server.sessions.get(sessionId)?.process as { isHeld?: (id: string) => boolean } | undefined;
  return process?.isHeld?.(processId) === true;
}

/** What one client has of a process's output: seq → bytes (output) or null (exit, close). */
class Received {
  readonly #seqs = new Map<number, Buffer | null>();
  /** Every seq up to here is known: the afterSeq that acknowledges it. */
  contiguous = 0;

  /** Output bytes held, each seq counted once. */
  bytes = 0;

  add(seq: number, bytes: Buffer | null): void {
    if (!this.#seqs.has(seq)) this.bytes += bytes?.length ?? 0;
    this.#seqs.set(seq, bytes);
    while (this.#seqs.has(this.contiguous + 1)) this.contiguous++;
  }

  addRead(result: ReadResult): void {
    for (const chunk of result.chunks) this.add(chunk.seq, Buffer.from(chunk.chunk, "base64"));
  }

  addNotification(message: Message): void {
    const seq = Number(message.params?.seq);
    if (message.method === "process/output")
      this.add(seq, Buffer.from(String(message.params?.chunk), "base64"));
    else if (message.method === "process/exited" || message.method === "process/closed") this.add(seq, null);
  }

  text(): string {
    const seqs = [...this.#seqs.keys()].sort((a, b) => a - b);
    return Buffer.concat(seqs.flatMap((seq) => this.#seqs.get(seq) ?? [])).toString();
  }
}

test("a read whose answer is lost does not count as read: resumed, the output is whole", async () => {
  await using server = startTestServer({ retainedOutputBytes: RETAINED, readPatienceMs: 30_000 });
  const first = await server.session();
  const params = startParams(["seq", "1", "300000"]);
  await first.call("process/start", params);
  const received = new Received();
  while (received.bytes < 4 * RETAINED) {
    const result = (await first.call("process/read", {
      processId: params.processId,
      afterSeq: received.contiguous,
      waitMs: 1000,
    })) as ReadResult;
    received.addRead(result);
  }
  // A read goes out and the connection drops before its answer arrives.
  first.sendRaw(
    JSON.stringify({
      id: "lost",
      method: "process/read",
      params: { processId: params.processId, afterSeq: received.contiguous },
    }),
  );
  first.ws.close();
  await using second = await resume(server, first.sessionId);
  const rest = await readAll(second, params.processId, received.contiguous);
  for (const chunk of rest.chunks) received.add(chunk.seq, Buffer.from(chunk.chunk, "base64"));
  expect(received.text() === seqText(300000)).toBe(true);
});

test("output before a late first read is held for it, from the first byte", async () => {
  await using server = startTestServer({ retainedOutputBytes: RETAINED, readPatienceMs: 30_000 });
  await using client = await server.session();
  const params = startParams(["seq", "1", "300000"]);
  await client.call("process/start", params);
  // The first read comes only once the program can go no further without one (or has finished).
  await waitFor(
    () =>
      isHeld(server, client.sessionId, params.processId) ||
      client.notifications.some((n) => n.method === "process/closed"),
    { label: "the program to be held (or to finish)" },
  );
  const { bytes } = await readAll(client, params.processId);
  expect(bytes.toString() === seqText(300000)).toBe(true);
});

test("a session detached for 2 s under load keeps its programs held: nothing is lost", async () => {
  const PROCESSES = 20;
  const LINES = 100_000;
  await using server = startTestServer({ retainedOutputBytes: RETAINED, readPatienceMs: 1000 });
  const first = await server.session();
  const ids = Array.from({ length: PROCESSES }, () => startParams(["seq", "1", String(LINES)]));
  const received = new Map(ids.map((p) => [p.processId, new Received()]));
  let taken = 0;
  const take = () => {
    // Output comes through the notifications; a read acknowledges it.
    for (; taken < first.notifications.length; taken++) {
      const message = first.notifications[taken] as Message;
      received.get(String(message.params?.processId))?.addNotification(message);
    }
  };
  for (const params of ids) await first.call("process/start", params);
  const expected = seqText(LINES);
  const total = () => [...received.values()].reduce((n, r) => n + r.bytes, 0);
  // About a third of the output is taken before the drop.
  while (total() < (PROCESSES * expected.length) / 3) {
    take();
    await Promise.all(
      ids.map(async ({ processId }) => {
        const r = received.get(processId) as Received;
        r.addRead(
          (await first.call("process/read", {
            processId,
            afterSeq: r.contiguous,
            maxBytes: 65536,
          })) as ReadResult,
        );
      }),
    );
  }
  take();
  // Acknowledging reads in flight when the connection goes.
  for (const { processId } of ids) {
    const r = received.get(processId) as Received;
    first.sendRaw(
      JSON.stringify({
        id: `lost-${processId}`,
        method: "process/read",
        params: { processId, afterSeq: r.contiguous },
      }),
    );
  }
  first.ws.close();
  await waitFor(() => server.sessions.get(first.sessionId)?.attachment?.isDetached, { label: "the detach" });
  // The scenario itself: the client is away for 2 s while its programs have output to give (more
  // than retention each), and all that time they wait for it instead of running on.
  const detachedAt = performance.now();
  const session = server.sessions.get(first.sessionId);
  await waitFor(
    () =>
      performance.now() - detachedAt >= 2000 &&
      ids.every(({ processId }) => session?.process.isHeld(processId)),
    { label: "2 s detached with every program held", timeoutMs: 10_000 },
  );
  await using second = await resume(server, first.sessionId);
  for (const { processId } of ids) {
    const r = received.get(processId) as Received;
    const rest = await readAll(second, processId, r.contiguous, 1024 * 1024);
    for (const chunk of rest.chunks) r.add(chunk.seq, Buffer.from(chunk.chunk, "base64"));
  }
  const whole = ids.filter(({ processId }) => received.get(processId)?.text() === expected).length;
  expect(whole).toBe(PROCESSES);
}, 60_000);

test("a client that reads only after a notification (Codex 0.125) is never left waiting on a held program", async () => {
  // Patience longer than the test: only a hold that tells the client of more output can finish.
  await using server = startTestServer({
    retainedOutputBytes: RETAINED,
    readPatienceMs: 600_000,
    firstReadPatienceMs: 600_000,
  });
  await using client = await server.session();
  const params = startParams(["seq", "1", "300000"]);
  await client.call("process/start", params);
  const received = new Received();
  const notifiedAfter = (seq: number) =>
    client.notifications.some(
      (n) =>
        n.params?.processId === params.processId &&
        (n.method === "process/closed" || (n.method === "process/output" && Number(n.params?.seq) > seq)),
    );
  let answeredTo = 0;
  for (;;) {
    // It says it has what earlier answers gave it, and reads again only when told of more.
    const result = (await client.call("process/read", {
      processId: params.processId,
      afterSeq: answeredTo,
      waitMs: 0,
    })) as ReadResult;
    received.addRead(result);
    answeredTo = result.nextSeq - 1;
    if (result.closed) break;
    await waitFor(() => notifiedAfter(answeredTo), { label: `a notification after seq ${answeredTo}` });
  }
  expect(received.text() === seqText(300000)).toBe(true);
}, 30_000);

test("a client that takes output only from notifications is not held for ever", async () => {
  await using server = startTestServer({ retainedOutputBytes: RETAINED, readPatienceMs: 100 });
  await using client = await server.session();
  const params = startParams(["seq", "1", "300000"]);
  await client.call("process/start", params);
  await client.waitForClosed(params.processId, 30_000);
  expect(client.outputOf(params.processId).toString() === seqText(300000)).toBe(true);
  // A second program in the same session is not held even once: the session reads notifications.
  const again = startParams(["seq", "1", "300000"]);
  await client.call("process/start", again);
  await client.waitForClosed(again.processId, 30_000);
  expect(client.outputOf(again.processId).toString() === seqText(300000)).toBe(true);
}, 60_000);

test("a 0.169+ start (with metadata) is not held for a first read: its client reads notifications", async () => {
  // A first-read patience longer than the test: only a start that skips it can finish.
  await using server = startTestServer({ retainedOutputBytes: RETAINED, firstReadPatienceMs: 600_000 });
  await using client = await server.session();
  const params = { ...startParams(["seq", "1", "300000"]), metadata: { threadId: "t", toolCallId: "c" } };
  await client.call("process/start", params);
  await client.waitForClosed(params.processId, 20_000);
  expect(client.outputOf(params.processId).toString() === seqText(300000)).toBe(true);
}, 30_000);

test("a client that says it reads notifications (initialize outputFromNotifications [ext]) is not held for a first read", async () => {
  await using server = startTestServer({ retainedOutputBytes: RETAINED, firstReadPatienceMs: 600_000 });
  await using client = await server.connect();
  await client.call("initialize", { clientName: "t", outputFromNotifications: true });
  client.notify("initialized", {});
  const params = startParams(["seq", "1", "300000"]);
  await client.call("process/start", params);
  await client.waitForClosed(params.processId, 20_000);
  expect(client.outputOf(params.processId).toString() === seqText(300000)).toBe(true);
}, 30_000);

test("a notification reader that stalls gets every byte, reading only what its notifications missed", async () => {
  const LINES = 2_000_000;
  await using server = startTestServer({
    retainedOutputBytes: RETAINED,
    readPatienceMs: 300,
    firstReadPatienceMs: 100,
    limits: { sendBufferBytes: 16 * 1024, slowReaderMs: 100 },
  });
  const reader = await RawWebSocket.connect(server.url);
  try {
    const init = reader.request("initialize", { clientName: "stall" });
    const { result } = (await reader.response(init)) as { result: { sessionId: string } };
    reader.notify("initialized", {});
    const params = startParams(["seq", "1", String(LINES)]);
    reader.request("process/start", params);
    const received = new Received();
    let taken = 0;
    let highest = 0;
    let closedSeq = 0;
    let isStalled = false;
    let wasDropped = false;
    const take = () => {
      for (; taken < reader.messages.length; taken++) {
        const message = reader.messages[taken] as Message;
        if (message.method === "process/outputDropped") wasDropped = true;
        if (message.params?.processId !== params.processId) continue;
        received.addNotification(message);
        highest = Math.max(highest, Number(message.params?.seq));
        if (message.method === "process/closed") closedSeq = Number(message.params?.seq);
      }
    };
    for (;;) {
      take();
      if (closedSeq !== 0 && received.contiguous >= closedSeq) break;
      if (!isStalled && received.bytes > 4 * RETAINED) {
        // The reader stops reading its socket until notifications are dropped and the program is held.
        isStalled = true;
        reader.pause();
        // (Kernel socket buffers take a few MB first: the output is larger than they are.)
        const session = server.sessions.get(result.sessionId);
        await waitFor(
          () => session?.process.isHeld(params.processId) || session?.process.livePids().length === 0,
          {
            label: "the hold (or the end)",
            timeoutMs: 30_000,
          },
        );
        reader.resume();
        continue;
      }
      if (wasDropped || highest > received.contiguous + 1) {
        wasDropped = false;
        // A gap: read what the notifications missed, from the last seq held.
        const id = reader.request("process/read", {
          processId: params.processId,
          afterSeq: received.contiguous,
        });
        const answer = (await reader.response(id)) as { result: ReadResult };
        received.addRead(answer.result);
        continue;
      }
      const seen = reader.messages.length;
      await waitFor(() => reader.messages.length > seen, { label: "more notifications" });
    }
    expect(received.text() === seqText(LINES)).toBe(true);
  } finally {
    reader.destroy();
  }
}, 60_000);

test("a notification reader that stops reading, then drops, loses nothing its kernel's buffers held", async () => {
  // What the server has written may sit unread in the sockets' buffers (megabytes of them): only
  // a pong to a ping sent after it says the client has it. Paused, the client answers no ping.
  const LINES = 1_000_000;
  await using server = startTestServer({ retainedOutputBytes: RETAINED });
  const reader = await RawWebSocket.connect(server.url);
  const params = startParams(["seq", "1", String(LINES)]);
  let sessionId = "";
  try {
    const init = reader.request("initialize", { clientName: "pause", outputFromNotifications: true });
    sessionId = ((await reader.response(init)) as { result: { sessionId: string } }).result.sessionId;
    reader.notify("initialized", {});
    reader.request("process/start", params);
    await waitFor(() => reader.messages.some((m) => m.method === "process/output"), { label: "output" });
    reader.pause();
    const session = server.sessions.get(sessionId);
    await waitFor(
      () => session?.process.isHeld(params.processId) || session?.process.livePids().length === 0,
      { label: "the hold (or the end)" },
    );
  } finally {
    reader.destroy();
  }
  const received = new Received();
  for (const message of reader.messages)
    if (message.params?.processId === params.processId) received.addNotification(message as Message);
  await using second = await resume(server, sessionId);
  const rest = await readAll(second, params.processId, received.contiguous);
  expect(rest.chunks[0]?.seq ?? received.contiguous + 1).toBe(received.contiguous + 1);
  for (const chunk of rest.chunks) received.add(chunk.seq, Buffer.from(chunk.chunk, "base64"));
  expect(received.text() === seqText(LINES)).toBe(true);
}, 30_000);

test("a never-read program held at its limit, its connection dropped within the first-read patience, goes on after a resume", async () => {
  // What its notifications had delivered before the drop still counts: after the patience the
  // program is released, though the resumed client never reads.
  await using server = startTestServer({
    retainedOutputBytes: RETAINED,
    firstReadPatienceMs: 1500,
    readPatienceMs: 1500,
  });
  const first = await server.session();
  const params = startParams(["seq", "1", "300000"]);
  await first.call("process/start", params);
  await waitFor(() => isHeld(server, first.sessionId, params.processId) || undefined, { label: "held" });
  first.ws.close();
  await using second = await resume(server, first.sessionId);
  await second.waitForClosed(params.processId, 10_000);
  expect(second.outputOf(params.processId).length).toBeGreaterThan(0);
}, 20_000);

test("a notification reader resumed after output it missed is held one more patience at most, then its program goes on", async () => {
  // The output made while detached was never notified (a gap); the resumed client never reads
  // it. After a patience without a read that output counts as read, as the header says.
  await using server = startTestServer({
    retainedOutputBytes: RETAINED,
    firstReadPatienceMs: 300,
    readPatienceMs: 300,
  });
  const first = await server.connect();
  const { sessionId } = (await first.call("initialize", {
    clientName: "gap",
    outputFromNotifications: true,
  })) as { sessionId: string };
  first.notify("initialized", {});
  // Its output starts once the connection has gone: all of it is missed.
  const params = startParams(["sh", "-c", "sleep 0.3; seq 1 300000"]);
  await first.call("process/start", params);
  first.ws.close();
  await waitFor(() => isHeld(server, sessionId, params.processId) || undefined, {
    label: "held while detached",
  });
  await using second = await resume(server, sessionId);
  const closed = await second.waitForClosed(params.processId, 10_000);
  // It went on to the end; what the resumed client was told starts after what it missed (a gap
  // it could read, up to what retention keeps, had it cared to).
  const seqs = second
    .eventsOf(params.processId)
    .filter((n) => n.method === "process/output")
    .map((n) => Number(n.params?.seq));
  expect(seqs.length).toBeGreaterThan(0);
  expect(Math.min(...seqs)).toBeGreaterThan(1);
  expect(Number(closed.params?.seq)).toBeGreaterThan(Math.max(...seqs));
}, 20_000);
