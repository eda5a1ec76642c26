// Pacing for clients that consume output with process/read (a Codex client reads after each
// notification, and its first read comes milliseconds after the start). Until the first read,
// retention keeps what has not been read (within its cap) without holding the program; once the
// client reads, the pipes are not read further while its unread output would overflow retention,
// so the program waits instead of the head of its output being evicted unread. A client that does
// not read for patienceMs is given up on until it reads again (a client that takes its output
// from the notifications never reads: it is given up on after patienceMs, without any pause),
// and so is a process being terminated.
import type { OutputChunk } from "./output-buffer.ts";

/** How long unread output is kept whole for a first process/read. */
const FIRST_READ_MS = 1000;

export class ReadPacer {
  readonly #limitBytes: number;
  readonly #patienceMs: number;
  readonly #unreadAfter: (seq: number) => number;
  #hasRead = false;
  #isReleased = false;
  #startTimer: Timer;
  #cursor = 0;
  #waiter: { promise: Promise<void>; resolve: () => void; timer: Timer } | null = null;

  /** `unreadAfter(seq)`: the retained output bytes after a seq. */
  constructor(budgetBytes: number, patienceMs: number, unreadAfter: (seq: number) => number) {
    // Room for the read in flight when the gate closes (a pipe read is up to 64 KiB).
    this.#limitBytes = budgetBytes - Math.min(128 * 1024, budgetBytes / 2);
    this.#patienceMs = patienceMs;
    this.#unreadAfter = unreadAfter;
    // A reading client reads within milliseconds of the start; keeping unread output for a client
    // that never reads only costs memory, so this first wait is short.
    this.#startTimer = setTimeout(() => this.release(), Math.min(patienceMs, FIRST_READ_MS));
    this.#startTimer.unref();
  }

  /** A process/read after `afterSeq` returned these chunks. */
  consumed(afterSeq: number, chunks: readonly OutputChunk[]): void {
    clearTimeout(this.#startTimer);
    this.#hasRead = true;
    this.#isReleased = false;
    this.#cursor = Math.max(this.#cursor, afterSeq, chunks.at(-1)?.seq ?? 0);
    if (this.#unreadAfter(this.#cursor) < this.#limitBytes) this.#open();
    else if (this.#waiter) {
      // Still behind, but reading: patience counts from the latest read.
      clearTimeout(this.#waiter.timer);
      this.#waiter.timer = this.#patienceTimer();
    }
  }

  #patienceTimer(): Timer {
    // The client stopped reading: give up on it until it reads again.
    const timer = setTimeout(() => this.release(), this.#patienceMs);
    timer.unref();
    return timer;
  }

  /** Before a pipe read: a promise while the reading client is too far behind. */
  gate(): Promise<void> | undefined {
    if (!this.#hasRead || this.#isReleased) return undefined;
    if (this.#unreadAfter(this.#cursor) < this.#limitBytes) return undefined;
    if (!this.#waiter) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#waiter = { promise, resolve, timer: this.#patienceTimer() };
    }
    return this.#waiter.promise;
  }

  /** Output after this seq is unread by an engaged reader: retention should keep it. */
  keepAfterSeq(): number {
    return this.#isReleased ? Number.POSITIVE_INFINITY : this.#cursor;
  }

  /** Stop pacing (a stalled reader, a terminated process) until the next read. */
  release(): void {
    clearTimeout(this.#startTimer);
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
