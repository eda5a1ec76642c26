// Flow control of one connection's process output. While more than sendBufferBytes wait to be
// sent, the session's pipes are not read: the programs block, and a reader that is merely slower
// than them loses nothing. A reader that stays behind for slowReaderMs is stalled: from then on
// the pipes are read again and its output notifications dropped (process/read still has the
// data), so a client that stops reading can hold neither our memory nor its programs.
import { logger } from "../log.ts";
import type { OutputStream, ProcessEvent } from "../process/types.ts";
import type { Notification } from "../protocol/methods.ts";
import type { Limits } from "./limits.ts";

const log = logger("connection");

/** Told once per stall when output notifications are dropped for a slow reader. */
export const OUTPUT_DROPPED: Notification = "process/outputDropped";

export interface FlowTarget {
  /** Bytes sent but not yet taken by the peer. */
  buffered(): number;
  isClosed(): boolean;
  notify(method: Notification, params: object): void;
  /** Output notifications of a process up to `seq` have left the send buffer. */
  flushed(processId: string, seq: number): void;
  /** An output notification was dropped: the client has not had it. */
  dropped(processId: string, seq: number): void;
}

export class OutputFlow {
  #isDropping = false;
  #drained: Promise<void> | null = null;
  #onDrain: (() => void) | null = null;
  /** Output notifications sent and not yet flushed: the newest seq per process. */
  #unflushed = new Map<string, number>();
  #isCheckQueued = false;

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

  /**
   * An output notification went to the transport. It counts as flushed once the send buffer is
   * empty: checked after the transport's own flush of this tick (a microtask queued before this
   * one), else at the next drain.
   */
  sent(processId: string, seq: number): void {
    this.#unflushed.set(processId, seq);
    if (this.#isCheckQueued) return;
    this.#isCheckQueued = true;
    queueMicrotask(() => {
      this.#isCheckQueued = false;
      this.#checkFlushed();
    });
  }

  #checkFlushed(): void {
    if (this.#unflushed.size === 0 || this.target.buffered() > 0 || this.target.isClosed()) return;
    const flushed = this.#unflushed;
    this.#unflushed = new Map();
    for (const [processId, seq] of flushed) this.target.flushed(processId, seq);
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
