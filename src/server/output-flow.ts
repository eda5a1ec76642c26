// Flow control of one connection's process output. While more than sendBufferBytes wait to be
// sent, the session's pipes are not read: the programs block, and a reader that is merely slower
// than them loses nothing. A reader that stays behind for slowReaderMs is stalled: from then on
// the pipes are read again and its output notifications dropped (process/read still has the
// data), so a client that stops reading can hold neither our memory nor its programs.
//
// It also tells the output hold which notifications have reached the client. A mark is the count
// of characters handed to the transport, taken after a notification. Where the transport can ping
// (a websocket), the client has everything up to a mark once it answers a ping sent after it: the
// kernel's socket buffers may hold megabytes the client has not read, lost if the connection drops
// (a client answers pings in the order it reads). A ping goes out when a mark not yet confirmed is
// asked about (in the microtask after the tick's sends), one at a time, the next once its pong is
// back. Elsewhere (stdio, the rendezvous) the transport has written everything up to a mark once
// the characters sent since outnumber what it still holds (buffered() counts bytes, at least one
// per character, so this is never early, and once the buffer is empty it is always so), observed
// whenever asked while the connection is open and after each tick that sent output. A closed
// connection answers from its last observation.
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
  /** A ping after everything sent so far, where the transport has them (see above). */
  ping?: (payload: string) => void;
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
  /** The most characters seen to have reached the client (or left the send buffer), while open. */
  #observedChars = 0;
  #isCheckQueued = false;
  #isRetryQueued = false;
  /** The newest mark asked about that was not yet confirmed: a ping is owed for it. */
  #wantedChars = 0;
  /**
   * Pings awaiting their pongs, oldest first: each one's number (its payload) and the mark it
   * confirms. A client may answer only the newest of several (RFC 6455 §5.5.3): a pong confirms
   * its ping and every one before it.
   */
  #pingsOut: { n: number; mark: number }[] = [];
  #pings = 0;

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
    if (this.#observe() >= mark) return true;
    this.#want(mark);
    return false;
  }

  /** A pong: the client has read everything sent before the ping it answers (others are not ours). */
  pong(payload: string): void {
    const answered = this.#pingsOut.findIndex((ping) => String(ping.n) === payload);
    if (answered < 0) return;
    const { mark } = this.#pingsOut[answered] as { mark: number };
    this.#pingsOut = this.#pingsOut.slice(answered + 1);
    if (mark > this.#observedChars) this.#observedChars = mark;
    this.#checkFlushed();
    this.#askPeer();
  }

  /** A ping now, whether a mark is owed or not (keepalive's, so that every ping is numbered). */
  ping(): void {
    const { ping } = this.target;
    if (!ping || this.target.isClosed()) return;
    const n = ++this.#pings;
    this.#pingsOut.push({ n, mark: this.target.sentChars() });
    ping(String(n));
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
    this.#want(mark);
    this.#queueCheck();
  }

  #want(mark: number): void {
    if (!this.target.ping || mark <= this.#wantedChars) return;
    this.#wantedChars = mark;
    this.#queueCheck();
  }

  /** Ping for the marks asked about, unless a ping is out (its pong asks again) or none is owed. */
  #askPeer(): void {
    if (this.#pingsOut.length === 0 && this.#wantedChars > this.#observedChars) this.ping();
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
    if (this.target.ping) this.#askPeer();
    else this.#retryLater(0);
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
    if (!this.target.ping && !this.target.isClosed()) {
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
