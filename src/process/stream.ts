// Per-process event ordering on the client side. Events are delivered strictly in seq order;
// one that arrives early waits for the seqs before it, duplicates are dropped, and a catch-up read
// (after a resume or a gap) fills the missing seqs, exit and close included.

import type { ProcessReadResult } from "../protocol/process.ts";
import { OutputChunk } from "./output-buffer.ts";
import type { ProcessEvent } from "./types.ts";

export function seqOf(event: ProcessEvent): number {
  return event.type === "output" ? event.chunk.seq : event.seq;
}

export class ProcessStream {
  /** The last seq delivered to consumers. */
  delivered = 0;
  hasExited = false;
  isClosed = false;
  readonly #pending = new Map<number, ProcessEvent>();

  constructor(readonly processId: string) {}

  /** Whether events are waiting behind a missing seq. */
  get hasGap(): boolean {
    return this.#pending.size > 0;
  }

  /** Take an event; return what can be delivered now, in order. */
  accept(event: ProcessEvent): ProcessEvent[] {
    const seq = seqOf(event);
    if (seq <= this.delivered || this.#pending.has(seq)) return [];
    this.#pending.set(seq, event);
    return this.#drain();
  }

  /** Give up on seqs up to `seq` that will never come (evicted output), then deliver what follows. */
  skipTo(seq: number): ProcessEvent[] {
    if (seq > this.delivered) this.delivered = seq;
    for (const pendingSeq of this.#pending.keys())
      if (pendingSeq <= this.delivered) this.#pending.delete(pendingSeq);
    return this.#drain();
  }

  #drain(): ProcessEvent[] {
    const ready: ProcessEvent[] = [];
    for (
      let next = this.#pending.get(this.delivered + 1);
      next;
      next = this.#pending.get(this.delivered + 1)
    ) {
      this.#pending.delete(this.delivered + 1);
      this.delivered++;
      if (next.type === "exited") this.hasExited = true;
      if (next.type === "closed") this.isClosed = true;
      ready.push(next);
    }
    return ready;
  }
}

/**
 * Rebuild the events after `afterSeq` from process/read results: the chunks, plus the exit and the
 * close, whose seqs are the ones no chunk took (close is always the last seq). `reads` are the
 * successive results, the last one having returned no chunks.
 */
export function eventsFromReads(
  processId: string,
  afterSeq: number,
  reads: ProcessReadResult[],
  hasSeenExit: boolean,
) {
  const events: ProcessEvent[] = [];
  const chunkSeqs = new Set<number>();
  for (const read of reads) {
    for (const { seq, stream, chunk } of read.chunks) {
      chunkSeqs.add(seq);
      events.push({ type: "output", processId, chunk: OutputChunk.fromBase64(seq, stream, chunk) });
    }
  }
  const final = reads.at(-1);
  if (!final) return { events, lastSeq: afterSeq };
  const lastSeq = final.nextSeq - 1;
  const free: number[] = [];
  for (let seq = afterSeq + 1; seq <= lastSeq; seq++) if (!chunkSeqs.has(seq)) free.push(seq);
  if (final.closed) {
    const closeSeq = free.pop();
    if (closeSeq !== undefined) events.push({ type: "closed", processId, seq: closeSeq });
  }
  if (final.exited && final.exitCode !== null && !hasSeenExit) {
    const exitSeq = free.pop();
    if (exitSeq !== undefined) {
      const signal = final.signal ?? null;
      events.push({ type: "exited", processId, seq: exitSeq, exitCode: final.exitCode, signal });
    }
  }
  return { events: events.sort((a, b) => seqOf(a) - seqOf(b)), lastSeq };
}
