// Sessions own processes; connections only attach to them. A closed connection detaches its
// session, which then waits ttlMs for a resume before the sweeper kills its process groups.
import { customAlphabet } from "nanoid";
import { InvalidRequest, SessionAttached } from "../errors.ts";
import { logger } from "../log.ts";
import { LocalProcess, type LocalProcessOptions } from "../process/local.ts";
import type { DeliveryFlow } from "../process/output-hold.ts";
import type { ProcessEvent } from "../process/types.ts";
import type { Gauges, Metrics } from "./metrics.ts";

const log = logger("sessions");
const hex32 = customAlphabet("0123456789abcdef", 32);

/** 128 random bits in the UUID shape clients expect; the id is the only credential for resume. */
export function newSessionId(): string {
  const h = hex32();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Where an attached session's events go: a connection. */
export interface EventSink {
  deliver(event: ProcessEvent): void;
  /** Its pacing of the session's pipes, and which notifications have reached its client. */
  readonly flow: DeliveryFlow;
}

/** The id as logs show it: enough to follow a session, not enough to resume it. */
export function shortId(id: string): string {
  return `${id.slice(0, 8)}…`;
}

/**
 * One connection's hold on a session. A closed connection leaves it `isDetached`; a resume by
 * another connection revokes it, which ends its pending long polls.
 */
export class Attachment {
  readonly #controller = new AbortController();
  /** Whether it still holds its session: a field, read per request and per flush of output. */
  #isCurrent = true;
  isDetached = false;

  constructor(
    readonly session: Session,
    readonly sink: EventSink,
  ) {}

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get isCurrent(): boolean {
    return this.#isCurrent;
  }

  revoke(): void {
    this.#isCurrent = false;
    this.#controller.abort();
  }
}

export class Session {
  readonly id = newSessionId();
  readonly process: LocalProcess;
  /** The newest attachment, detached or not. */
  attachment: Attachment | null = null;
  /** When the session expires if nobody resumes it; null while attached. */
  deadline: number | null = null;

  /** The last connection closed cleanly (a close frame, not a drop): an expiry then is the normal end. */
  hasClientLeft = false;

  constructor(processOptions: Partial<LocalProcessOptions>, metrics?: Metrics) {
    // Its events are encoded as they come and its reads as they are answered: evicted output
    // can be given back at once.
    this.process = new LocalProcess({
      ...processOptions,
      logFields: { session: shortId(this.id) },
      releasesEvictedOutput: true,
    });
    // Notifications go to whichever connection holds the session now; detached, they are dropped.
    this.process.subscribe((event) => {
      if (event.type === "output") metrics?.output(event.chunk.bytes.byteLength);
      if (this.attachment && !this.attachment.isDetached) this.attachment.sink.deliver(event);
    });
  }
}

export interface SessionRegistryOptions {
  ttlMs: number;
  maxSessions?: number;
  process: Partial<LocalProcessOptions>;
  sweepIntervalMs?: number;
  /** The clock deadlines are measured on (injectable for tests). */
  now?: () => number;
  /** Where output bytes are counted for /metrics. */
  metrics?: Metrics;
}

export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();
  readonly #options: SessionRegistryOptions;
  readonly #now: () => number;
  #sweeper: Timer | null = null;

  constructor(options: SessionRegistryOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const intervalMs = options.sweepIntervalMs ?? Math.max(10, Math.min(1000, options.ttlMs / 4));
    this.#sweeper = setInterval(() => this.sweep(), intervalMs);
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** The gauges of /metrics: sessions by attachment, and processes still running. */
  gauges(): Gauges {
    const gauges = { sessionsAttached: 0, sessionsDetached: 0, processesRunning: 0 };
    for (const session of this.#sessions.values()) {
      if (session.attachment && !session.attachment.isDetached) gauges.sessionsAttached++;
      else gauges.sessionsDetached++;
      gauges.processesRunning += session.process.livePids().length;
    }
    return gauges;
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  create(sink: EventSink): Attachment {
    const max = this.#options.maxSessions ?? Number.POSITIVE_INFINITY;
    if (this.#sessions.size >= max) this.#evictIdle();
    if (this.#sessions.size >= max) throw new InvalidRequest(`too many sessions (limit ${max})`);
    const session = new Session(this.#options.process, this.#options.metrics);
    this.#sessions.set(session.id, session);
    log.info("session created", { session: shortId(session.id) });
    return this.#attach(session, sink);
  }

  resume(id: string, sink: EventSink): Attachment {
    const session = this.#sessions.get(id);
    // Expiry is decided here, not by the sweeper, so a session past its deadline never comes back.
    if (!session || (session.deadline !== null && this.#now() >= session.deadline)) {
      if (session) this.#expire(session);
      throw new InvalidRequest(`unknown session id ${id}`);
    }
    if (session.attachment && !session.attachment.isDetached) throw SessionAttached.forSession(id);
    log.info("session resumed", { session: shortId(id) });
    return this.#attach(session, sink);
  }

  /** `isClean`: the client closed the connection itself, rather than losing it. */
  detach(attachment: Attachment, isClean = false): void {
    const { session } = attachment;
    if (session.attachment !== attachment || attachment.isDetached) return;
    attachment.isDetached = true;
    session.hasClientLeft = isClean;
    session.process.setFlowControl(null);
    session.deadline = this.#now() + this.#options.ttlMs;
    log.info("session detached", { session: shortId(session.id), ttlMs: this.#options.ttlMs });
  }

  sweep(): void {
    const now = this.#now();
    for (const session of this.#sessions.values()) {
      if (session.deadline !== null && now >= session.deadline) this.#expire(session);
    }
  }

  /** Stop sweeping and kill every process of every session; returns the pids killed. */
  close(): number[] {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    const killed: number[] = [];
    for (const session of this.#sessions.values()) {
      session.attachment?.revoke();
      killed.push(...session.process.shutdown());
      log.info("session ended", { session: shortId(session.id), reason: "server shutdown" });
    }
    this.#sessions.clear();
    return killed;
  }

  #attach(session: Session, sink: EventSink): Attachment {
    session.attachment?.revoke();
    const attachment = new Attachment(session, sink);
    // The attached reader paces the pipes; detached, they are read freely (retention bounds them).
    session.process.setFlowControl(sink.flow);
    session.attachment = attachment;
    session.deadline = null;
    return attachment;
  }

  /**
   * Make room by expiring the detached session that has waited longest and holds no live process:
   * it has only retained output to lose, and cheap connect-and-drop cycles must not lock new
   * clients out for a whole TTL. Detached sessions running programs are never taken.
   */
  #evictIdle(): void {
    let oldest: Session | null = null;
    for (const session of this.#sessions.values()) {
      if (session.deadline === null || session.process.livePids().length > 0) continue;
      if (!oldest || session.deadline < (oldest.deadline as number)) oldest = session;
    }
    if (!oldest) return;
    log.info("idle detached session evicted for a new one", { session: shortId(oldest.id) });
    this.#expire(oldest);
  }

  #expire(session: Session): void {
    this.#sessions.delete(session.id);
    session.attachment?.revoke();
    session.process.shutdown();
    // A client that closed its connection itself has left: the end of its session is the normal
    // course. One that lost it may have meant to come back: that is worth a warning.
    if (session.hasClientLeft)
      log.info("session ended", { session: shortId(session.id), reason: "client left" });
    else log.warn("session expired", { session: shortId(session.id), reason: "no resume within the TTL" });
  }
}
