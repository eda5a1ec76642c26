// Guards OutputFlow's account of which output notifications have left the send buffer (what the
// output hold counts as delivered): a mark is never flushed early, whatever mix of characters and
// bytes the transport holds, and always once the buffer is empty; a closed connection answers from
// what it saw leave while open (a tick that sent output is looked at after it); a waiter is called
// once its mark has left, after this tick, after this turn or at a drain. Where the transport pings
// (a websocket), a mark counts only once the client has answered a ping sent after it.
import { expect, test } from "bun:test";
import { OutputFlow } from "../../src/server/output-flow.ts";
import { waitFor } from "../support/wait.ts";

const LIMITS = { sendBufferBytes: 1024, slowReaderMs: 1000, maxBufferedBytes: 4096 };

/** A transport that holds what it was given as UTF-8 bytes until told to write some out. */
class FakeTransport {
  sentChars = 0;
  /** The bytes of each message not yet written whole, oldest first. */
  held: number[] = [];
  isClosed = false;

  send(text: string): number {
    this.sentChars += text.length;
    this.held.push(Buffer.byteLength(text));
    return this.sentChars;
  }

  /** Write out `bytes` from the oldest message on; a message may go out in part. */
  write(bytes: number): void {
    while (bytes > 0 && this.held.length > 0) {
      const first = this.held[0] as number;
      const taken = Math.min(first, bytes);
      bytes -= taken;
      if (taken === first) this.held.shift();
      else this.held[0] = first - taken;
    }
  }

  buffered(): number {
    return this.held.reduce((sum, bytes) => sum + bytes, 0);
  }

  flow(): OutputFlow {
    return new OutputFlow(
      {
        buffered: () => this.buffered(),
        sentChars: () => this.sentChars,
        isClosed: () => this.isClosed,
        notify: () => {},
        dropped: () => {},
      },
      LIMITS,
    );
  }
}

test("a mark is flushed exactly when its message and every one before it has been written", () => {
  // Messages of ASCII, of two-byte and three-byte characters and of surrogate pairs: the buffer
  // counts bytes, the marks count characters.
  const texts = ["a".repeat(50), "é".repeat(40), "€".repeat(30), "😀".repeat(20), "b".repeat(10)];
  for (let seed = 1; seed <= 50; seed++) {
    const transport = new FakeTransport();
    const flow = transport.flow();
    const sent: { mark: number; endByte: number }[] = [];
    let totalBytes = 0;
    let written = 0;
    let random = seed;
    const next = () => {
      random = (random * 1103515245 + 12345) % 2 ** 31;
      return random;
    };
    for (let step = 0; step < 40; step++) {
      if (next() % 3 !== 0) {
        const text = texts[next() % texts.length] as string;
        totalBytes += Buffer.byteLength(text);
        sent.push({ mark: transport.send(text), endByte: totalBytes });
      } else {
        const bytes = next() % 120;
        transport.write(bytes);
        written = totalBytes - transport.buffered();
      }
      for (const { mark, endByte } of sent) {
        // Never early: flushed only if every byte of it has been written.
        if (flow.isFlushed(mark)) expect(endByte).toBeLessThanOrEqual(written);
      }
      if (transport.buffered() === 0) for (const { mark } of sent) expect(flow.isFlushed(mark)).toBe(true);
    }
  }
});

test("a closed connection answers from what it saw leave while open, never more", () => {
  const transport = new FakeTransport();
  const flow = transport.flow();
  const seen = transport.send("hello");
  transport.write(5);
  expect(flow.isFlushed(seen)).toBe(true);
  const unseen = transport.send("world");
  transport.write(5);
  // Closed before anyone looked: what left after the last look is not known to have left.
  transport.isClosed = true;
  transport.held = [];
  expect(flow.isFlushed(seen)).toBe(true);
  expect(flow.isFlushed(unseen)).toBe(false);
});

test("a tick that sent output is looked at after it: a connection closed later still counts it", async () => {
  const transport = new FakeTransport();
  const flow = transport.flow();
  const mark = transport.send("output");
  flow.sentMark();
  transport.write(100);
  await Promise.resolve();
  transport.isClosed = true;
  expect(flow.isFlushed(mark)).toBe(true);
});

test("a waiter is called once its mark has left, after this tick, after this turn, or at a drain", async () => {
  const transport = new FakeTransport();
  const flow = transport.flow();
  let calls = 0;
  const first = transport.send("first");
  transport.write(5);
  const second = transport.send("second, still held");
  // Its own mark has left though the buffer is not empty.
  flow.whenFlushed(first, () => calls++);
  expect(calls).toBe(0);
  await Promise.resolve();
  expect(calls).toBe(1);

  flow.whenFlushed(second, () => calls++);
  await Promise.resolve();
  expect(calls).toBe(1);
  // Written by a later microtask of this turn, with no drain to follow: looked at once more.
  queueMicrotask(() => transport.write(100));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  expect(calls).toBe(2);

  const third = transport.send("third");
  flow.whenFlushed(third, () => calls++);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  expect(calls).toBe(2);
  transport.write(2);
  flow.drained();
  expect(calls).toBe(2);
  transport.write(100);
  flow.drained();
  expect(calls).toBe(3);
  flow.drained();
  expect(calls).toBe(3);
});

test("a transport without a drain event: a waiter is looked at again while it waits", async () => {
  const transport = new FakeTransport();
  const flow = transport.flow();
  let calls = 0;
  const mark = transport.send("held a while");
  flow.whenFlushed(mark, () => calls++);
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(calls).toBe(0);
  transport.write(100);
  await waitFor(() => calls === 1 || undefined, { timeoutMs: 1000, label: "the waiter" });
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(calls).toBe(1);
});

/** Resolved after every microtask queued before it: the flow's check runs in one. */
const queuedMicrotasks = () => new Promise<void>((resolve) => queueMicrotask(resolve));

/** A websocket's transport: it pings, and the test plays the client's pongs. */
function pingingFlow() {
  const transport = new FakeTransport();
  const pings: string[] = [];
  const flow = new OutputFlow(
    {
      buffered: () => transport.buffered(),
      sentChars: () => transport.sentChars,
      isClosed: () => transport.isClosed,
      notify: () => {},
      dropped: () => {},
      ping: (payload) => pings.push(payload),
    },
    LIMITS,
  );
  return { transport, flow, pings };
}

test("with pings, a mark counts once the client answers a ping sent after it, never at the buffer's empty", async () => {
  const { transport, flow, pings } = pingingFlow();
  transport.send("x".repeat(100));
  const mark = flow.sentMark();
  transport.write(100);
  // Out of the send buffer, maybe still in the kernel's: not the client's yet.
  expect(flow.isFlushed(mark)).toBe(false);
  await queuedMicrotasks();
  expect(pings).toEqual(["1"]);
  // Pongs that answer no ping of ours (a keepalive's, unsolicited ones) say nothing.
  flow.pong("");
  flow.pong("7");
  expect(flow.isFlushed(mark)).toBe(false);
  flow.pong("1");
  expect(flow.isFlushed(mark)).toBe(true);
  // Sent after the ping: the next pong must cover it.
  transport.send("y");
  const later = flow.sentMark();
  expect(flow.isFlushed(later)).toBe(false);
});

test("with pings, one is out at a time; its pong asks for the next; a pong for a later ping covers the earlier", async () => {
  const { transport, flow, pings } = pingingFlow();
  const called: number[] = [];
  transport.send("a");
  flow.whenFlushed(flow.sentMark(), () => called.push(1));
  await queuedMicrotasks();
  transport.send("b");
  const second = flow.sentMark();
  flow.whenFlushed(second, () => called.push(2));
  await queuedMicrotasks();
  expect(pings).toEqual(["1"]);
  flow.pong("1");
  expect(called).toEqual([1]);
  // The first pong covered only the first mark: it pinged again at once, for the second.
  expect(pings).toEqual(["1", "2"]);
  // A keepalive ping (numbered too), then the client answers only the newest (RFC 6455 allows it).
  flow.ping();
  expect(pings).toEqual(["1", "2", "3"]);
  flow.pong("3");
  expect(called).toEqual([1, 2]);
  expect(flow.isFlushed(second)).toBe(true);
  // Closed: nothing is pinged, and what was confirmed stands.
  transport.send("c");
  transport.isClosed = true;
  expect(flow.isFlushed(flow.sentMark())).toBe(false);
  await queuedMicrotasks();
  expect(pings).toEqual(["1", "2", "3"]);
  expect(flow.isFlushed(second)).toBe(true);
});
