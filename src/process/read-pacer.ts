// Pacing for clients that consume output with process/read (a Codex client reads after each
// notification). Once a process has been read, its pipes are not read further while the output
// that client has not read yet would overflow retention: the program waits instead of the head of
// its output being evicted unread. A client that stops reading for slowReaderMs is given up on
// (the program runs on, retention evicts), and so is a process being terminated.
import type { OutputChunk } from "./output-buffer.ts";

export class ReadPacer {
  readonly #limitBytes: number;
  readonly #slowReaderMs: number;
  readonly #unreadAfter: (seq: number) => number;
  #isPolled = false;
  #isReleased = false;
  #cursor = 0;
  #waiter: { promise: Promise<void>; resolve: () => void; timer: Timer } | null = null;

  /** `unreadAfter(seq)`: the retained output bytes after a seq. */
  constructor(budgetBytes: number, slowReaderMs: number, unreadAfter: (seq: number) => number) {
    // Room for the read in flight when the gate closes (a pipe read is up to 64 KiB).
    this.#limitBytes = budgetBytes - Math.min(128 * 1024, budgetBytes / 2);
    this.#slowReaderMs = slowReaderMs;
    this.#unreadAfter = unreadAfter;
  }

  /** A process/read after `afterSeq` returned these chunks. */
  consumed(afterSeq: number, chunks: readonly OutputChunk[]): void {
    this.#isPolled = true;
    this.#isReleased = false;
    this.#cursor = Math.max(this.#cursor, afterSeq, chunks.at(-1)?.seq ?? 0);
    if (this.#unreadAfter(this.#cursor) < this.#limitBytes) this.#open();
  }

  /** Before a pipe read: a promise while the reading client is too far behind. */
  gate(): Promise<void> | undefined {
    if (!this.#isPolled || this.#isReleased) return undefined;
    if (this.#unreadAfter(this.#cursor) < this.#limitBytes) return undefined;
    if (!this.#waiter) {
      const { promise, resolve } = Promise.withResolvers<void>();
      // The client stopped reading: give up on it until it reads again.
      const timer = setTimeout(() => this.release(), this.#slowReaderMs);
      timer.unref();
      this.#waiter = { promise, resolve, timer };
    }
    return this.#waiter.promise;
  }

  /** Stop pacing (a stalled reader, a terminated process) until the next read. */
  release(): void {
    this.#isReleased = true;
    this.#open();
  }

  #open(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = null;
    clearTimeout(waiter.timer);
    waiter.resolve();
  }
}
