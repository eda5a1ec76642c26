// Guards retention (SPEC §5): whole-chunk eviction within the budget, reads after a seq, maxBytes.
import { expect, test } from "bun:test";
import { OutputBuffer, OutputChunk } from "../../src/process/output-buffer.ts";

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
