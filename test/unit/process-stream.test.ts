// Guards client-side ordering: events delivered strictly in seq order, duplicates dropped, and
// exit/close rebuilt from process/read results during a catch-up.
import { expect, test } from "bun:test";
import { OutputChunk } from "../../src/process/output-buffer.ts";
import { eventsFromReads, ProcessStream, seqOf } from "../../src/process/stream.ts";
import type { ProcessEvent } from "../../src/process/types.ts";

const out = (seq: number): ProcessEvent => ({
  type: "output",
  processId: "p",
  chunk: new OutputChunk(seq, "stdout", new Uint8Array([seq])),
});

test("out-of-order frames are delivered in order, duplicates once", () => {
  const stream = new ProcessStream("p");
  const delivered: number[] = [];
  for (const event of [
    out(2),
    out(4),
    out(1),
    out(2),
    out(3),
    { type: "exited", processId: "p", seq: 5, exitCode: 0, signal: null } as const,
  ]) {
    delivered.push(...stream.accept(event).map(seqOf));
  }
  expect(delivered).toEqual([1, 2, 3, 4, 5]);
  expect(stream.hasExited).toBe(true);
  expect(stream.hasGap).toBe(false);
});

test("skipTo gives up on evicted seqs and releases what waited behind them", () => {
  const stream = new ProcessStream("p");
  expect(stream.accept(out(5)).map(seqOf)).toEqual([]);
  expect(stream.hasGap).toBe(true);
  expect(stream.skipTo(4).map(seqOf)).toEqual([5]);
});

test("eventsFromReads places exit and close on the seqs no chunk took", () => {
  const read = (chunks: number[], nextSeq: number, closed: boolean) => ({
    chunks: chunks.map((seq) => ({ seq, stream: "stdout" as const, chunk: "eA==" })),
    nextSeq,
    exited: true,
    exitCode: 3,
    closed,
    failure: null,
  });
  // seqs 3 and 4 are output, 5 the exit, 6 output after the exit, 7 the close.
  const { events, lastSeq } = eventsFromReads("p", 2, [read([3, 4, 6], 7, true), read([], 8, true)], false);
  expect(events.map((e) => [e.type, seqOf(e)])).toEqual([
    ["output", 3],
    ["output", 4],
    ["exited", 5],
    ["output", 6],
    ["closed", 7],
  ]);
  expect(lastSeq).toBe(7);
  // Exit already seen: only the close is rebuilt.
  const later = eventsFromReads("p", 5, [read([], 7, true)], true);
  expect(later.events.map((e) => [e.type, seqOf(e)])).toEqual([["closed", 6]]);
});
