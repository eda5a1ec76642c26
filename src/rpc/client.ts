// ExecServerClient: a typed client for an exec-server. It connects and initializes, checks every
// result and notification against the protocol schemas, delivers each process's events in seq
// order, and can reconnect with resumeSessionId, catching every live process up with process/read
// so a consumer sees each byte exactly once.
import { InvalidRequest, TransportClosed } from "../errors.ts";
import { logger } from "../log.ts";
import { OutputChunk } from "../process/output-buffer.ts";
import type { ProcessEvent, ProcessEventListener } from "../process/types.ts";
import { METHODS, type Method, type ParamsOf, type ResultOf } from "../protocol/methods.ts";
import {
  ProcessClosedNotification,
  ProcessExitedNotification,
  ProcessOutputNotification,
  type ProcessReadResult,
} from "../protocol/process.ts";
import { RpcPeer } from "./peer.ts";
import { eventsFromReads, ProcessStream } from "./process-stream.ts";
import { openWebSocket, webSocketTransport } from "./websocket.ts";

const log = logger("client");

export interface ExecServerClientOptions {
  /** Sent as initialize.clientName. */
  clientName?: string;
  /** Limit for opening the socket and for the handshake (default 10 s). */
  connectTimeoutMs?: number;
  /** Extra headers for the websocket upgrade (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Resume this session instead of creating one. */
  resumeSessionId?: string;
}

export class ExecServerClient {
  readonly url: string;
  #sessionId = "";
  #options: ExecServerClientOptions;
  #ws: WebSocket | null = null;
  #peer: RpcPeer | null = null;
  readonly #streams = new Map<string, ProcessStream>();
  readonly #catchUps = new Map<string, Promise<void>>();
  readonly #listeners = new Set<ProcessEventListener>();
  readonly #closeListeners = new Set<(reason: string) => void>();
  readonly #notificationListeners = new Map<string, Set<(params: unknown) => void>>();

  private constructor(url: string, options: ExecServerClientOptions) {
    this.url = url;
    this.#options = options;
  }

  /** Connect, initialize (or resume) and send initialized. */
  static async connect(url: string, options: ExecServerClientOptions = {}): Promise<ExecServerClient> {
    const client = new ExecServerClient(url, options);
    await client.#open(options.resumeSessionId);
    return client;
  }

  get sessionId(): string {
    return this.#sessionId;
  }

  get isConnected(): boolean {
    return this.#peer !== null && !this.#peer.isClosed;
  }

  /** Call a method; params and result are typed from the protocol schemas. */
  async call<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (!this.#peer || this.#peer.isClosed) throw new TransportClosed("exec-server connection is closed");
    const result = await this.#peer.request(method, params);
    const parsed = METHODS[method].result.safeParse(result);
    if (!parsed.success)
      throw new InvalidRequest(`malformed ${method} result from server: ${parsed.error.message}`);
    return parsed.data as ResultOf<M>;
  }

  /** Track a process so its events are ordered and caught up after a resume. */
  track(processId: string): void {
    if (!this.#streams.has(processId)) this.#streams.set(processId, new ProcessStream(processId));
  }

  /** Every process event, in seq order per process. Returns an unsubscribe function. */
  subscribe(listener: ProcessEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Notifications other than process events (fs/missingChanged, http/request/bodyDelta), with
   * their params unchecked: each listener parses what it takes.
   */
  onNotification(method: string, listener: (params: unknown) => void): () => void {
    let listeners = this.#notificationListeners.get(method);
    if (!listeners) {
      listeners = new Set();
      this.#notificationListeners.set(method, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#notificationListeners.delete(method);
    };
  }

  onClose(listener: (reason: string) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /**
   * Reconnect to the same server and resume the session, then read every tracked process from
   * the last seq delivered, so nothing is lost or repeated.
   */
  async reconnect(): Promise<void> {
    this.#ws?.close();
    await this.#open(this.#sessionId);
    const open = [...this.#streams.values()].filter((stream) => !stream.isClosed);
    const results = await Promise.allSettled(open.map((stream) => this.catchUp(stream.processId)));
    results.forEach((result, i) => {
      if (result.status === "rejected") {
        log.warn("catch-up failed", { processId: open[i]?.processId, error: String(result.reason) });
      }
    });
  }

  /** Fill a tracked process's events from process/read, from the last delivered seq on. */
  catchUp(processId: string): Promise<void> {
    const running = this.#catchUps.get(processId);
    if (running) return running;
    const task = this.#catchUp(processId).finally(() => this.#catchUps.delete(processId));
    this.#catchUps.set(processId, task);
    return task;
  }

  async close(): Promise<void> {
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => ws.addEventListener("close", resolve, { once: true }));
    ws.close();
    await closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #open(resumeSessionId: string | undefined): Promise<void> {
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    const ws = await openWebSocket(this.url, { timeoutMs, headers: this.#options.headers });
    const peer = new RpcPeer(webSocketTransport(ws), {
      onNotification: (method, params) => this.#onNotification(method, params),
    });
    ws.addEventListener("message", (event) => peer.receive(event.data as string | ArrayBuffer));
    ws.addEventListener("close", (event) => {
      const reason = `exec-server connection closed (code ${event.code})`;
      peer.closed(reason);
      if (this.#peer === peer) for (const listener of this.#closeListeners) listener(reason);
    });
    this.#ws = ws;
    this.#peer = peer;
    const clientName = this.#options.clientName ?? "codex-exec-server-client";
    const result = await this.call("initialize", { clientName, resumeSessionId: resumeSessionId ?? null });
    this.#sessionId = result.sessionId;
    peer.notify("initialized", {});
  }

  #onNotification(method: string, params: unknown): void {
    const listeners = this.#notificationListeners.get(method);
    if (listeners) {
      for (const listener of listeners) listener(params);
      return;
    }
    const event = decodeEvent(method, params);
    if (!event) {
      log.debug("ignored notification", { method });
      return;
    }
    this.#feed(event.processId, [event]);
  }

  #feed(processId: string, events: ProcessEvent[]): void {
    this.track(processId);
    const stream = this.#streams.get(processId) as ProcessStream;
    for (const event of events) this.#deliver(stream.accept(event));
    if (stream.hasGap && this.isConnected) void this.catchUp(processId).catch(() => {});
  }

  #deliver(events: ProcessEvent[]): void {
    for (const event of events) for (const listener of this.#listeners) listener(event);
  }

  async #catchUp(processId: string): Promise<void> {
    const stream = this.#streams.get(processId);
    if (!stream || stream.isClosed) return;
    const afterSeq = stream.delivered;
    const reads: ProcessReadResult[] = [];
    for (let next = afterSeq; ; ) {
      const read = await this.call("process/read", { processId, afterSeq: next, waitMs: 0 });
      reads.push(read);
      if (read.chunks.length === 0) break;
      next = read.nextSeq - 1;
    }
    const { events, lastSeq } = eventsFromReads(processId, afterSeq, reads, stream.hasExited);
    for (const event of events) this.#deliver(stream.accept(event));
    // Seqs still missing up to the server's last one were evicted from retention: skip them.
    this.#deliver(stream.skipTo(lastSeq));
  }
}

function decodeEvent(method: string, params: unknown): ProcessEvent | null {
  switch (method) {
    case "process/output": {
      const parsed = ProcessOutputNotification.safeParse(params);
      if (!parsed.success) return null;
      const { processId, seq, stream, chunk } = parsed.data;
      return { type: "output", processId, chunk: OutputChunk.fromBase64(seq, stream, chunk) };
    }
    case "process/exited": {
      const parsed = ProcessExitedNotification.safeParse(params);
      if (!parsed.success) return null;
      return { type: "exited", ...parsed.data, signal: parsed.data.signal ?? null };
    }
    case "process/closed": {
      const parsed = ProcessClosedNotification.safeParse(params);
      return parsed.success ? { type: "closed", ...parsed.data } : null;
    }
    default:
      return null;
  }
}
