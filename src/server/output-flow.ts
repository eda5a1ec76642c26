// Flow control of one connection's process output. While more than sendBufferBytes wait to be
// sent, the session's pipes are not read: the programs block, and a reader that is merely slower
// than them loses nothing. A reader that stays behind for slowReaderMs is stalled: from then on
// the pipes are read again and its output notifications dropped (process/read still has the
// data), so a client that stops reading can hold neither our memory nor its programs.
//
// It also tells the output hold which notifications have left the send buffer. A mark is the
// count of characters handed to the transport, taken after a notification; the transport has
// written everything up to a mark once the characters sent since outnumber what it still holds
// (buffered() counts bytes, at least one per character, so this is never early, and once the
// buffer is empty it is always so). That is observed whenever asked while the connection is open,
// and after each tick that sent output (after the transport's own flush), so that a connection
// that closes has counted what left it before; a closed one answers from its last observation.
import { logger } from "../log.ts";
import type { DeliveryFlow } from "../process/output-hold.ts";
import type { OutputStream, ProcessEvent } from "../process/types.ts";
import type { Notification } from "../protocol/methods.ts";
import type { Limits } from "./limits.ts";

const log = logger("connection");

/** Told once per stall when output notifications are dropped for a slow reader. */
export const OUTPUT_DROPPED: Notification = "process/outputDropped";

export interface FlowTarget {
  /** Bytes sent but not yet taken by the peer. */
  buffered(): number;
  /** Characters of every message handed to the transport so far. */
  sentChars(): number;
  isClosed(): boolean;
  notify(method: Notification, params: object): void;
  /** An output notification was dropped: the client has not had it. */
  dropped(processId: string, seq: number): void;
}

/** How often waiters for a flush are looked at while the send buffer stays full. */
const RETRY_MS = 20;

export class OutputFlow implements DeliveryFlow {
  #isDropping = false;
  #drained: Promise<void> | null = null;
  #onDrain: (() => void) | null = null;
  /** Each called once everything up to its mark has left the send buffer (see whenFlushed). */
  #flushWaiters: { mark: number; callback: () => void }[] = [];
  /** The most characters seen to have left the send buffer, observed while open. */
  #observedChars = 0;
  #isCheckQueued = false;
  #isRetryQueued = false;

  constructor(
    private readonly target: FlowTarget,
    private readonly limits: Pick<Limits, "sendBufferBytes" | "slowReaderMs" | "maxBufferedBytes">,
  ) {}

  /** A promise while the reader is behind (pipes wait on it); undefined to read freely. */
  congestion(): Promise<void> | undefined {
    if (this.#isDropping || this.target.buffered() <= this.limits.sendBufferBytes) return undefined;
    if (this.target.isClosed()) return undefined;
    this.#drained ??= this.#waitForDrain().finally(() => {
      this.#drained = null;
    });
    return this.#drained;
  }

  /** The transport flushed its send buffer: held-back pipes may be read again. */
  drained(): void {
    this.#onDrain?.();
    this.#checkFlushed();
  }

  sentMark(): number {
    this.#queueCheck();
    return this.target.sentChars();
  }

  isFlushed(mark: number): boolean {
    return this.#observe() >= mark;
  }

  /**
   * Checked after the transport's own flush of this tick (its microtask was queued with the
   * tick's first send, before this one), once more after this turn's microtasks (a send queued
   * by one of them is flushed after the check), else at a drain or after a tick that sends output.
   * A connection that closes first may never call back: the hold stops waiting on it when the
   * session changes connections.
   */
  whenFlushed(mark: number, callback: () => void): void {
    this.#flushWaiters.push({ mark, callback });
    this.#queueCheck();
  }

  #queueCheck(): void {
    if (this.#isCheckQueued) return;
    this.#isCheckQueued = true;
    queueMicrotask(this.#check);
  }

  readonly #check = () => {
    this.#isCheckQueued = false;
    this.#observe();
    this.#checkFlushed();
    this.#retryLater(0);
  };

  /**
   * While any waiter is left: looked at again after this turn's microtasks, then every
   * RETRY_MS (not every transport has a drain event: the client WebSocket of the cloud
   * rendezvous has none), until none waits or the connection closes.
   */
  #retryLater(delayMs: number): void {
    if (this.#flushWaiters.length === 0 || this.#isRetryQueued || this.target.isClosed()) return;
    this.#isRetryQueued = true;
    const retry = () => {
      this.#isRetryQueued = false;
      this.#checkFlushed();
      this.#retryLater(RETRY_MS);
    };
    if (delayMs === 0) setImmediate(retry);
    else setTimeout(retry, delayMs).unref();
  }

  #observe(): number {
    if (!this.target.isClosed()) {
      const flushed = this.target.sentChars() - this.target.buffered();
      if (flushed > this.#observedChars) this.#observedChars = flushed;
    }
    return this.#observedChars;
  }

  #checkFlushed(): void {
    if (this.#flushWaiters.length === 0) return;
    const observed = this.#observe();
    const waiters = this.#flushWaiters;
    this.#flushWaiters = waiters.filter((waiter) => waiter.mark > observed);
    for (const waiter of waiters) if (waiter.mark <= observed) waiter.callback();
  }

  /**
   * Whether an event goes out. Output is dropped while the reader is stalled, until it has truly
   * caught up (a quarter of the limit: one stall is one episode and one notice). PTY output cannot
   * be held back, so it is dropped past twice the limit; pipe output only past half the hard
   * buffer limit (a read already in flight when the pipes were paused). Exits and closes always go.
   */
  admits(event: ProcessEvent): boolean {
    if (event.type !== "output") return true;
    if (this.#isAdmitted(event.chunk.stream)) return true;
    // The output stays retained for process/read: the hold must not count it as notified.
    this.target.dropped(event.processId, event.chunk.seq);
    return false;
  }

  #isAdmitted(stream: OutputStream): boolean {
    const { sendBufferBytes, maxBufferedBytes } = this.limits;
    const buffered = this.target.buffered();
    if (this.#isDropping && buffered > sendBufferBytes / 4) return false;
    this.#isDropping = false;
    const ceiling = stream === "pty" ? 2 * sendBufferBytes : maxBufferedBytes / 2;
    if (buffered <= ceiling) return true;
    this.#startDropping();
    return false;
  }

  async #waitForDrain(): Promise<void> {
    const { sendBufferBytes, slowReaderMs } = this.limits;
    const deadline = performance.now() + slowReaderMs;
    while (this.target.buffered() > sendBufferBytes / 2 && !this.target.isClosed()) {
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) {
        this.#startDropping();
        return;
      }
      // Woken by the transport's drain event; the timer is a fallback for transports without one.
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#onDrain = resolve;
      const timer = setTimeout(resolve, Math.min(remainingMs, 20));
      await promise;
      clearTimeout(timer);
      this.#onDrain = null;
    }
  }

  #startDropping(): void {
    if (this.#isDropping) return;
    this.#isDropping = true;
    const bufferedBytes = this.target.buffered();
    log.warn("slow reader: dropping output notifications", { bufferedBytes });
    this.target.notify(OUTPUT_DROPPED, { bufferedBytes, limitBytes: this.limits.sendBufferBytes });
  }
}
