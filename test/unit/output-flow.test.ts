// Guards OutputFlow's account of which output notifications have left the send buffer (what the
// output hold counts as delivered): a mark is never flushed early, whatever mix of characters and
// bytes the transport holds, and always once the buffer is empty; a waiter is called once the
// buffer is empty, after this tick or at a drain.
import { expect, test } from "bun:test";
import { OutputFlow } from "../../src/server/output-flow.ts";

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

test("nothing counts as flushed on a closed connection", () => {
  const transport = new FakeTransport();
  const flow = transport.flow();
  const mark = transport.send("hello");
  transport.write(5);
  expect(flow.isFlushed(mark)).toBe(true);
  transport.isClosed = true;
  expect(flow.isFlushed(mark)).toBe(false);
});

test("a waiter is called after this tick once the buffer is empty, else at the drain that empties it", async () => {
  const transport = new FakeTransport();
  const flow = transport.flow();
  let calls = 0;
  flow.whenFlushed(() => calls++);
  expect(calls).toBe(0);
  await Promise.resolve();
  expect(calls).toBe(1);

  transport.send("still here");
  flow.whenFlushed(() => calls++);
  await Promise.resolve();
  expect(calls).toBe(1);
  transport.write(4);
  flow.drained();
  expect(calls).toBe(1);
  transport.write(100);
  flow.drained();
  expect(calls).toBe(2);
  flow.drained();
  expect(calls).toBe(2);
});
