// Retained output of one process: the newest chunks within a byte budget, oldest evicted whole.
import type { OutputStream } from "../protocol/process.ts";

/**
 * One chunk of output as read from the child. Its base64 form is computed when asked for and not
 * kept: retained chunks holding their base64 too doubled the live heap under a flood, and peak RSS
 * with it (152 → ~95 MB for 200 MB through an unread session). A chunk made from base64 (on the
 * client side) keeps the text it came from.
 */
export class OutputChunk {
  #base64: string | undefined;

  constructor(
    readonly seq: number,
    readonly stream: OutputStream,
    readonly bytes: Uint8Array,
  ) {}

  static fromBase64(seq: number, stream: OutputStream, base64: string): OutputChunk {
    const chunk = new OutputChunk(seq, stream, Buffer.from(base64, "base64"));
    chunk.#base64 = base64;
    return chunk;
  }

  get base64(): string {
    return this.#base64 ?? this.bytes.toBase64();
  }
}

/** How far past the budget output a reader has not read yet may be kept. */
const UNREAD_FACTOR = 8;

export class OutputBuffer {
  readonly #chunks: OutputChunk[] = [];
  #head = 0;
  #bytes = 0;

  constructor(readonly budgetBytes: number) {}

  get retainedBytes(): number {
    return this.#bytes;
  }

  /**
   * Keep a chunk, evicting the oldest past the budget. Chunks after `keepAfterSeq` (output a
   * reader has yet to read) are kept up to UNREAD_FACTOR times the budget: the runtime reads a
   * pipe ahead of us by several MiB (in pieces of up to 2 MiB) while we hold back, so what
   * arrives at once can be bigger than the whole budget.
   */
  push(chunk: OutputChunk, keepAfterSeq = Number.POSITIVE_INFINITY): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.bytes.byteLength;
    // The newest chunk is always kept, even when it alone is over the budget.
    while (this.#bytes > this.budgetBytes && this.#chunks.length - this.#head > 1) {
      const oldest = this.#chunks[this.#head] as OutputChunk;
      if (oldest.seq > keepAfterSeq && this.#bytes <= UNREAD_FACTOR * this.budgetBytes) break;
      const evicted = oldest;
      this.#chunks[this.#head] = undefined as unknown as OutputChunk;
      this.#head++;
      this.#bytes -= evicted.bytes.byteLength;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Chunks with seq > afterSeq, oldest first, whole, within maxBytes but at least one. */
  after(afterSeq: number, maxBytes: number | undefined): OutputChunk[] {
    const result: OutputChunk[] = [];
    let total = 0;
    for (let i = this.#indexAfter(afterSeq); i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i] as OutputChunk;
      if (maxBytes !== undefined && result.length > 0 && total + chunk.bytes.byteLength > maxBytes) break;
      result.push(chunk);
      total += chunk.bytes.byteLength;
    }
    return result;
  }

  /** Whether any chunk with seq > afterSeq is retained. */
  hasAfter(afterSeq: number): boolean {
    return this.#indexAfter(afterSeq) < this.#chunks.length;
  }

  /** Retained bytes in chunks with seq > afterSeq. */
  bytesAfter(afterSeq: number): number {
    let total = 0;
    for (let i = this.#indexAfter(afterSeq); i < this.#chunks.length; i++) {
      total += (this.#chunks[i] as OutputChunk).bytes.byteLength;
    }
    return total;
  }

  /** The index of the first retained chunk with seq > afterSeq. */
  #indexAfter(afterSeq: number): number {
    let lo = this.#head;
    let hi = this.#chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#chunks[mid] as OutputChunk).seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
