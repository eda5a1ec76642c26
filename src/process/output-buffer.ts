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
    /** The read the bytes are part of, where its memory is given back on eviction (ReadMemory). */
    readonly memory?: ReadMemory,
  ) {}

  static fromBase64(seq: number, stream: OutputStream, base64: string): OutputChunk {
    const chunk = new OutputChunk(seq, stream, Buffer.from(base64, "base64"));
    chunk.#base64 = base64;
    return chunk;
  }

  get base64(): string {
    return this.#base64 ?? this.bytes.toBase64();
  }

  /** The same chunk with its base64 made now: it stays whole once its read's memory has gone. */
  withBase64(): OutputChunk {
    const chunk = new OutputChunk(this.seq, this.stream, this.bytes);
    chunk.#base64 = this.base64;
    return chunk;
  }
}

/**
 * Reads smaller than this are left to the collector: their memory is little, and taking a read's
 * buffer and keeping its record costs more per read than giving a small one back early saves (an
 * echo's reads are a few bytes). A flood's reads, whose dead memory was the growth, are pages.
 */
export const RELEASED_READ_BYTES = 1024;

/**
 * The memory of one pipe or terminal read, shared by the chunks cut from it. Bun frees an
 * ArrayBuffer's memory only when the collector sweeps its cell, which under a flood is long after
 * the output has gone: dead reads were most of the server's resident growth. Where nothing holds a
 * chunk's bytes past the tick it is handed out in, the read is detached (`transfer(0)` frees it at
 * once) as the last of its chunks leaves retention. That holds for a server session: a
 * notification is encoded as its chunk is emitted, and a process/read answer takes its chunks with
 * their base64 already made (OutputChunk.withBase64), so a later eviction cannot empty them.
 */
export class ReadMemory {
  #retained: number;

  private constructor(
    readonly buffer: ArrayBuffer,
    chunks: number,
  ) {
    this.#retained = chunks;
  }

  /** For a read the runtime handed over whole (its own buffer, nothing else viewing it); else none. */
  static of(bytes: Uint8Array, chunks: number): ReadMemory | undefined {
    const { buffer } = bytes;
    const isWhole =
      buffer instanceof ArrayBuffer &&
      !buffer.resizable &&
      bytes.byteOffset === 0 &&
      bytes.byteLength === buffer.byteLength;
    return isWhole && chunks > 0 ? new ReadMemory(buffer, chunks) : undefined;
  }

  /** One chunk of this read left retention; with the last one the read's memory goes. */
  release(): void {
    this.#retained--;
    if (this.#retained !== 0 || this.buffer.detached) return;
    try {
      this.buffer.transfer(0);
    } catch {
      // A buffer the runtime made non-detachable: its memory goes with the collector, as before.
    }
  }
}

/**
 * How far past the budget a PTY's output the client has not read may be kept: a PTY cannot be
 * held back. A pipe's program is held at the budget (output-hold.ts), so its unread output is at
 * most the budget and one pipe read of the runtime, and is never evicted.
 */
export const PTY_UNREAD_FACTOR = 8;

/** What the client has said it has, and what was notified to it: see OutputBuffer.push. */
export interface RetentionMarks {
  readonly ackedSeq: number;
  readonly releasedSeq: number;
}

/** Plain retention: the oldest go past the budget. */
const NO_MARKS: RetentionMarks = {
  ackedSeq: Number.POSITIVE_INFINITY,
  releasedSeq: Number.POSITIVE_INFINITY,
};

export class OutputBuffer {
  readonly #chunks: OutputChunk[] = [];
  #head = 0;
  #bytes = 0;

  /** `unreadCapBytes`: past this, even unread output is evicted (a PTY's). */
  constructor(
    readonly budgetBytes: number,
    readonly unreadCapBytes = Number.POSITIVE_INFINITY,
  ) {}

  get retainedBytes(): number {
    return this.#bytes;
  }

  /** The seq of the newest chunk kept (0 before any). */
  get newestSeq(): number {
    return this.#chunks.at(-1)?.seq ?? 0;
  }

  /**
   * Keep a chunk, evicting the oldest past the budget, but never one after `ackedSeq` (the client
   * has not said it has it) while within unreadCapBytes, nor one after `releasedSeq`
   * (notified, not acknowledged) while within two budgets. The newest chunk is always kept. The
   * marks are read only when something is to be evicted (they are an OutputHold's getters).
   */
  push(chunk: OutputChunk, marks: RetentionMarks = NO_MARKS): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.bytes.byteLength;
    const { budgetBytes } = this;
    if (this.#bytes <= budgetBytes) return;
    const { ackedSeq, releasedSeq } = marks;
    while (this.#bytes > budgetBytes && this.#chunks.length - this.#head > 1) {
      const oldest = this.#chunks[this.#head] as OutputChunk;
      const isKept =
        oldest.seq > ackedSeq &&
        this.#bytes <= this.unreadCapBytes &&
        (oldest.seq > releasedSeq || this.#bytes <= 2 * budgetBytes);
      if (isKept) break;
      this.#chunks[this.#head] = undefined as unknown as OutputChunk;
      this.#head++;
      this.#bytes -= oldest.bytes.byteLength;
      oldest.memory?.release();
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
