// Guards retention (SPEC §5): whole-chunk eviction within the budget, reads after a seq, maxBytes;
// and the early release of a read's memory (ReadMemory), held to what retention without it gives.
import { expect, test } from "bun:test";
import { OutputBuffer, OutputChunk, ReadMemory } from "../../src/process/output-buffer.ts";

const chunk = (seq: number, size: number) => new OutputChunk(seq, "stdout", new Uint8Array(size).fill(seq));

test("evicts whole oldest chunks and always keeps the newest", () => {
  const buffer = new OutputBuffer(100);
  for (const [seq, size] of [
    [1, 40],
    [2, 40],
    [3, 40],
    [5, 150],
  ] as const)
    buffer.push(chunk(seq, size));
  expect(buffer.after(0, undefined).map((c) => c.seq)).toEqual([5]);
  expect(buffer.retainedBytes).toBe(150);
  buffer.push(chunk(6, 10));
  expect(buffer.after(0, undefined).map((c) => c.seq)).toEqual([6]);
});

test("after() skips seen seqs, respects maxBytes, never returns zero chunks when some exist", () => {
  const buffer = new OutputBuffer(1000);
  for (let seq = 1; seq <= 10; seq++) buffer.push(chunk(seq * 2, 10));
  expect(buffer.after(7, undefined).map((c) => c.seq)).toEqual([8, 10, 12, 14, 16, 18, 20]);
  expect(buffer.after(7, 25).map((c) => c.seq)).toEqual([8, 10]);
  expect(buffer.after(7, 0).map((c) => c.seq)).toEqual([8]);
  expect(buffer.after(20, 0)).toEqual([]);
});

test("the marks keep unread output, and notified output within two budgets", () => {
  const buffer = new OutputBuffer(100);
  const marks = { ackedSeq: 2, releasedSeq: 3 };
  for (let seq = 1; seq <= 7; seq++) buffer.push(chunk(seq, 40), marks);
  expect(buffer.after(0, undefined).map((c) => c.seq)).toEqual([3, 4, 5, 6, 7]);
  buffer.push(chunk(8, 40), marks);
  expect(buffer.after(0, undefined).map((c) => c.seq)).toEqual([4, 5, 6, 7, 8]);
  buffer.push(chunk(9, 40), { ackedSeq: 7, releasedSeq: 7 });
  expect(buffer.after(0, undefined).map((c) => c.seq)).toEqual([8, 9]);
});

test("compacts its array after many evictions without losing order", () => {
  const buffer = new OutputBuffer(50);
  for (let seq = 1; seq <= 5000; seq++) buffer.push(chunk(seq, 10));
  expect(buffer.after(0, undefined).map((c) => c.seq)).toEqual([4996, 4997, 4998, 4999, 5000]);
});

test("base64 is computed once and matches the bytes", () => {
  const c = new OutputChunk(1, "pty", new TextEncoder().encode("hi\n"));
  expect(c.base64).toBe("aGkK");
  expect(OutputChunk.fromBase64(2, "stdout", "aGkK").bytes).toEqual(new TextEncoder().encode("hi\n"));
});

/** Reads of `size` bytes cut into chunks of `cut`, as Child does, with or without ReadMemory. */
function pushReads(buffer: OutputBuffer, reads: number, size: number, cut: number, isReleased: boolean) {
  const taken: OutputChunk[] = [];
  const buffers: ArrayBuffer[] = [];
  let seq = 1;
  for (let r = 0; r < reads; r++) {
    const bytes = Uint8Array.from({ length: size }, (_, i) => (r * 7 + i) & 0xff);
    buffers.push(bytes.buffer);
    const memory = isReleased ? ReadMemory.of(bytes, Math.ceil(size / cut)) : undefined;
    for (let at = 0; at < size; at += cut) {
      buffer.push(new OutputChunk(seq++, "stdout", bytes.subarray(at, at + cut), memory));
      // A reader takes the newest chunks as an answer would, before anything evicts them.
      taken.push(...buffer.after(seq - 2, undefined).map((chunk) => chunk.withBase64()));
    }
  }
  return { taken, buffers };
}

test("a read's memory goes when its last chunk leaves retention, never before", () => {
  const buffer = new OutputBuffer(50);
  const bytes = new Uint8Array(30).fill(9);
  const memory = ReadMemory.of(bytes, 3);
  expect(memory).toBeDefined();
  for (let i = 0; i < 3; i++)
    buffer.push(new OutputChunk(i + 1, "stdout", bytes.subarray(i * 10, i * 10 + 10), memory));
  const answer = buffer.after(0, undefined).map((chunk) => chunk.withBase64());
  buffer.push(new OutputChunk(4, "stdout", new Uint8Array(30)));
  // Chunk 1 is gone, 2 and 3 are kept: the read is still viewed.
  expect(buffer.after(0, undefined).map((c) => c.seq)).toEqual([2, 3, 4]);
  expect(bytes.buffer.detached).toBe(false);
  buffer.push(new OutputChunk(5, "stdout", new Uint8Array(30)));
  expect(bytes.buffer.detached).toBe(true);
  // An answer taken before keeps the text of what was read.
  expect(answer.map((chunk) => chunk.base64)).toEqual(Array(3).fill(Buffer.alloc(10, 9).toString("base64")));
});

test("only a read that owns its whole buffer is released", () => {
  const whole = new Uint8Array(16);
  expect(ReadMemory.of(whole, 1)).toBeDefined();
  expect(ReadMemory.of(whole.subarray(4), 1)).toBeUndefined();
  expect(ReadMemory.of(new Uint8Array(new ArrayBuffer(32), 0, 16), 1)).toBeUndefined();
  expect(ReadMemory.of(new Uint8Array(new SharedArrayBuffer(16)), 1)).toBeUndefined();
  expect(ReadMemory.of(new Uint8Array(new ArrayBuffer(16, { maxByteLength: 32 })), 1)).toBeUndefined();
  expect(ReadMemory.of(whole, 0)).toBeUndefined();
});

test("with reads released, retention and every answer are what they are without", () => {
  for (const [size, cut] of [
    [64, 32],
    [100, 32],
    [31, 32],
  ] as const) {
    const plain = new OutputBuffer(300);
    const released = new OutputBuffer(300);
    const a = pushReads(plain, 40, size, cut, false);
    const b = pushReads(released, 40, size, cut, true);
    expect(b.taken.map((c) => [c.seq, c.base64])).toEqual(a.taken.map((c) => [c.seq, c.base64]));
    const kept = (buffer: OutputBuffer) => buffer.after(0, undefined).map((c) => [c.seq, c.base64]);
    expect(kept(released)).toEqual(kept(plain));
    expect(released.retainedBytes).toBe(plain.retainedBytes);
    // Every read but the retained ones was given back; none without.
    const firstKept = released.after(0, undefined)[0]?.seq ?? 0;
    const chunksPerRead = Math.ceil(size / cut);
    const goneReads = Math.floor((firstKept - 1) / chunksPerRead);
    expect(b.buffers.filter((x) => x.detached).length).toBe(goneReads);
    expect(a.buffers.some((x) => x.detached)).toBe(false);
  }
});
