// The output hold of one process: its program waits (its pipes are not read) while its unread
// output is at the retention limit, attached or not. "Unread" is decided by what the client says
// it has (the afterSeq of its process/read requests, counted when they arrive), never by what the
// server sent: an answer lost with its connection leaves the output unread, still retained.
//
// A client that takes its output only from the notifications never reads. Its process is held
// like any other until it has gone a patience without a read while attached (a short one while
// the session has never read, a long one after), with every retained chunk notified and flushed
// (the connection says the client has it: a websocket's client answered a ping sent after it);
// from then on (the process is "released") notified output counts as read for the hold, until
// the next process/read of that process. The session
// learns it: its later processes start released. Retention keeps up to one more budget of
// released output that was notified but never acknowledged, for a client that lost it in a drop.
// Output whose notification was dropped (a stalled reader, a detached session) never counts as
// notified: a released program is held after such a gap until the client reads it, or for one
// more patience without a read.
//
// A client that reads after each notification (Codex 0.125) and was answered every chunk there
// is reads again only once told of more output: a held program then takes one more pipe read
// (one per advance of its afterSeq), so that a notification goes out and the client's next read
// says what it has. Unread is still what its afterSeq says.
import type { OutputBuffer, RetentionMarks } from "./output-buffer.ts";

/**
 * The attached connection's side of its output notifications: whether they have reached its
 * client, asked when needed (a mark taken as a notification is sent, compared later) rather than
 * pushed after every send.
 */
export interface DeliveryFlow {
  /** A promise while the reader is behind: the session's pipes wait on it. */
  congestion(): Promise<void> | undefined;
  /** A mark of everything sent so far, taken right after an output notification was sent. */
  sentMark(): number;
  /** Whether everything sent up to `mark` has reached the client (never early: a websocket's
   * client has answered a ping sent after it, asked for by this question; elsewhere it has left
   * the send buffer; a closed connection answers from what it last saw). */
  isFlushed(mark: number): boolean;
  /** Call back once everything sent up to `mark` has reached the client. */
  whenFlushed(mark: number, callback: () => void): void;
}

/** The pause threshold is the retention budget of the hold's buffer (retainedOutputBytes). */
export interface HoldOptions {
  /** How long a process never read waits before notified output counts as read. */
  firstReadPatienceMs: number;
  /** The same once the client has read it, or any process of the session: a client that reads
   * is waited for longer. */
  readPatienceMs: number;
  /** Whether the session has read any of its processes. */
  hasSessionRead(): boolean;
  /** The connection that flushes notifications to a client now; null while detached. */
  flow(): DeliveryFlow | null;
  /** The session reads from notifications (a process of it was released). */
  readsNotifications(): boolean;
  releasedByPatience(): void;
}

export class OutputHold implements RetentionMarks {
  readonly #options: HoldOptions;
  readonly #buffer: OutputBuffer;
  readonly #limitBytes: number;
  /** The client has every seq up to here (its newest process/read afterSeq). */
  #ackedSeq = 0;
  /** Output notifications up to here were flushed to an attached client. */
  #deliveredSeq = 0;
  /** The oldest output not notified (dropped for a stalled reader, or while detached) that the
   * client has not read past: notifications after it do not count as delivered. */
  #gapSeq = Number.POSITIVE_INFINITY;
  /** The newest output notification flushed, gap or not. */
  #flushedSeq = 0;
  /** The newest output whose notification was dropped. */
  #droppedSeq = 0;
  /** The newest output notified to the attached connection and not yet known flushed (0: none),
   * with the connection's mark right after it was sent. */
  #notifiedSeq = 0;
  #notifiedMark = 0;
  /** A released hold waits for its notifications to be flushed (see #update). */
  #isWatchingFlush = false;
  #hasRead = false;
  #isReleased: boolean;
  #isDraining = false;
  /** One pipe read is let through the closed gate (see answered()). */
  #isProbing = false;
  /** The acknowledged seq the last such read was let through at: one per advance. */
  #probedAtSeq = -1;
  #waiter: { promise: Promise<void>; resolve: () => void } | null = null;
  #patience: Timer | null = null;

  constructor(buffer: OutputBuffer, options: HoldOptions) {
    this.#buffer = buffer;
    this.#options = options;
    // Room for the pipe read in flight when the gate closes.
    const { budgetBytes } = buffer;
    this.#limitBytes = budgetBytes - Math.min(128 * 1024, budgetBytes / 2);
    this.#isReleased = options.readsNotifications();
  }

  /** Whether the program waits for its output to be read. */
  get isHeld(): boolean {
    return this.#waiter !== null;
  }

  /** Retention may evict chunks up to here beyond its budget: the client has them. */
  get ackedSeq(): number {
    return this.#ackedSeq;
  }

  /** Retention may evict chunks up to here beyond twice its budget (notified, maybe lost). */
  get releasedSeq(): number {
    if (!this.#isReleased) return this.#ackedSeq;
    this.#settle();
    return Math.max(this.#ackedSeq, this.#deliveredSeq);
  }

  /** A process/read arrived: the client has everything up to `afterSeq` (at most `newestSeq`). */
  read(afterSeq: number, newestSeq: number): void {
    this.#ackedSeq = Math.max(this.#ackedSeq, Math.min(afterSeq, newestSeq));
    if (this.#ackedSeq >= this.#gapSeq) this.#gapSeq = Number.POSITIVE_INFINITY;
    this.#hasRead = true;
    this.#isReleased = false;
    // Patience counts from the latest read.
    this.#stopPatience();
    this.#update();
  }

  /**
   * A process/read is answered with every chunk up to `seq`. If that is all there is and the
   * program is held, it takes one more pipe read, once per advance of what the client has said it
   * has (so the unread output passes the limit by one read at most): the client that reads only
   * when notified then has a notification to read after.
   */
  answered(seq: number): void {
    if (!this.#waiter || seq < this.#buffer.newestSeq || this.#probedAtSeq === this.#ackedSeq) return;
    this.#probedAtSeq = this.#ackedSeq;
    this.#isProbing = true;
    this.#open();
  }

  /**
   * The output chunk at `seq` was emitted: notified to the attached connection, unless that dropped
   * it (undelivered, called while it was emitted) or the session is detached.
   */
  emitted(seq: number): void {
    const flow = this.#options.flow();
    if (!flow) {
      this.undelivered(seq);
      return;
    }
    if (seq === this.#droppedSeq) return;
    // One mark is kept. Where what is delivered decides (a released hold whose retention is at
    // the limit: its gate and retention's eviction read it), the one before is counted first if it
    // has been flushed (sent in an earlier tick, most often), so that delivery keeps up; a mark
    // flushed implies every earlier one, so nothing is lost by skipping this below the limit.
    if (this.#isReleased && this.#notifiedSeq !== 0 && this.#buffer.retainedBytes >= this.#limitBytes)
      this.#settle();
    this.#notifiedSeq = seq;
    this.#notifiedMark = flow.sentMark();
  }

  /** The output chunk at `seq` was not notified: the client has not had it. */
  undelivered(seq: number): void {
    this.#droppedSeq = Math.max(this.#droppedSeq, seq);
    if (seq > this.#ackedSeq) this.#gapSeq = Math.min(this.#gapSeq, seq);
  }

  /**
   * The session is about to change connections: what the current one has flushed counts, what it
   * has not is not known to have reached the client (a later connection's marks are its own): it
   * is a gap, as output whose notification was dropped is.
   */
  beforeAttachmentChange(): void {
    this.#settle();
    if (this.#notifiedSeq > this.#flushedSeq) {
      this.#droppedSeq = Math.max(this.#droppedSeq, this.#notifiedSeq);
      const firstUnconfirmed = this.#flushedSeq + 1;
      if (firstUnconfirmed > this.#ackedSeq) this.#gapSeq = Math.min(this.#gapSeq, firstUnconfirmed);
    }
    this.#notifiedSeq = 0;
    this.#isWatchingFlush = false;
  }

  /** The session was attached or detached: a released hold may go on, a patience may end. */
  attachmentChanged(): void {
    this.#update();
  }

  /** Before a pipe read: a promise while the unread output is at the limit. */
  gate(): Promise<void> | undefined {
    // A read let through by answered() is this one, or none if the gate was open anyway.
    const isProbe = this.#isProbing;
    this.#isProbing = false;
    if (this.#isDraining || isProbe || !this.#isFull()) return undefined;
    if (!this.#waiter) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#waiter = { promise, resolve };
    }
    this.#startPatience();
    this.#watchFlush();
    return this.#waiter.promise;
  }

  /** A terminated program: what it wrote before it died drains, whoever reads it. */
  drain(): void {
    this.#isDraining = true;
    this.#stopPatience();
    this.#open();
  }

  #isFull(): boolean {
    // What is retained bounds what is unread: most pipe reads stop at the first test. A released
    // hold's notifications count once the client confirms them (a pong): with no gap before them,
    // up to one budget more waits for that, as retention keeps a second budget of notified output.
    const limit = this.#limitBytes;
    if (this.#buffer.retainedBytes < limit) return false;
    const isInFlight = this.#isReleased && this.#gapSeq === Number.POSITIVE_INFINITY;
    const window = isInFlight ? limit + this.#buffer.budgetBytes : limit;
    return this.#buffer.bytesAfter(this.releasedSeq) >= window;
  }

  /** Notifications the attached connection has flushed since last asked now count as delivered. */
  #settle(): void {
    const seq = this.#notifiedSeq;
    if (seq === 0) return;
    const flow = this.#options.flow();
    if (!flow?.isFlushed(this.#notifiedMark)) return;
    this.#notifiedSeq = 0;
    this.#flushedSeq = Math.max(this.#flushedSeq, seq);
    this.#deliveredSeq = Math.max(this.#deliveredSeq, Math.min(seq, this.#gapSeq - 1));
  }

  #update(): void {
    if (!this.#waiter) return;
    if (this.#isDraining || !this.#isFull()) {
      this.#open();
      return;
    }
    this.#startPatience();
    this.#watchFlush();
  }

  /** A released hold goes on as its notifications are flushed (they count as read). */
  #watchFlush(): void {
    const flow = this.#options.flow();
    if (!this.#isReleased || this.#notifiedSeq === 0 || this.#isWatchingFlush || !flow) return;
    this.#isWatchingFlush = true;
    flow.whenFlushed(this.#notifiedMark, () => {
      // A connection given up since (see beforeAttachmentChange) no longer decides.
      if (this.#options.flow() !== flow) return;
      this.#isWatchingFlush = false;
      this.#update();
    });
  }

  #startPatience(): void {
    // A released hold waits for notifications, unless a gap in them stops it.
    if (this.#patience || (this.#isReleased && this.#gapSeq === Number.POSITIVE_INFINITY)) return;
    const { firstReadPatienceMs, readPatienceMs } = this.#options;
    this.#patience = setTimeout(
      () => {
        this.#patience = null;
        this.#endPatience();
      },
      this.#hasRead || this.#options.hasSessionRead() ? readPatienceMs : firstReadPatienceMs,
    );
    this.#patience.unref();
  }

  #stopPatience(): void {
    if (this.#patience) clearTimeout(this.#patience);
    this.#patience = null;
  }

  /**
   * No read for the whole patience: release only if an attached client was sent and flushed
   * everything retained after any gap (it takes its output from the notifications, and did not
   * come for what it missed); otherwise wait another round.
   */
  #endPatience(): void {
    if (!this.#waiter) return;
    this.#settle();
    // Everything retained was flushed to the client, or its notification dropped (the client was
    // told, and has not come for it).
    const isNotified = Math.max(this.#flushedSeq, this.#droppedSeq) >= this.#buffer.newestSeq;
    if (this.#options.flow() !== null && isNotified) {
      if (this.#isReleased || this.#gapSeq === Number.POSITIVE_INFINITY) {
        // Released already (this was the one more patience after a gap), or no gap: what was
        // dropped counts as read too, a patience without a read being the client's answer for it.
        // (Nothing after a gap is notified while the program waits: a reader resumed after one
        // would never learn of it, and the program would wait for a read that never comes.)
        this.#gapSeq = Number.POSITIVE_INFINITY;
        this.#deliveredSeq = Math.max(this.#flushedSeq, this.#droppedSeq);
      } else {
        // Released now, after a gap: what was flushed counts, and the gap one more patience.
        this.#deliveredSeq = this.#flushedSeq;
      }
      this.#isReleased = true;
      this.#options.releasedByPatience();
    }
    this.#update();
  }

  #open(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = null;
    this.#stopPatience();
    waiter.resolve();
  }
}
