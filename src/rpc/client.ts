// ExecServerClient: a typed client for an exec-server, over a websocket or a program's stdio. It
// connects and initializes, checks every result and notification against the wire table's
// schemas, and can reconnect with resumeSessionId. It knows nothing of processes or files: the
// remote implementations (src/process/remote.ts, src/fs/remote.ts) build on it.
import { InvalidRequest, TransportClosed } from "../errors.ts";
import { logger } from "../log.ts";
import type { EnvironmentInfo } from "../protocol/initialize.ts";
import {
  isNotification,
  METHODS,
  type Method,
  NOTIFICATIONS,
  type Notification,
  type NotificationParamsOf,
  type ParamsOf,
  type ResultOf,
} from "../protocol/methods.ts";
import { RpcPeer, type Transport } from "./peer.ts";
import { spawnStdioTransport } from "./stdio.ts";
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

/** A way to reach a server: opens a transport that feeds `receive` and reports its close. */
type Connector = (
  receive: (data: string | ArrayBuffer | Uint8Array) => void,
  onClose: (reason: string) => void,
) => Promise<Transport>;

type NotificationListener = (params: unknown) => void;

/**
 * Run callbacks in a later task, in the order given, a batch per task. A timer, not setImmediate:
 * immediates were seen to wait up to ~0.9 s while something else spun the event loop (bun test's
 * `expect(promise).rejects`), which a timer of 0 does not.
 */
function laterInOrder(): (callback: () => void) => void {
  let queue: (() => void)[] = [];
  return (callback) => {
    queue.push(callback);
    if (queue.length > 1) return;
    setTimeout(() => {
      const batch = queue;
      queue = [];
      for (const run of batch) run();
    }, 0);
  };
}

export class ExecServerClient {
  readonly url: string;
  #sessionId = "";
  #environmentInfo: EnvironmentInfo | null = null;
  readonly #options: ExecServerClientOptions;
  readonly #connect: Connector;
  readonly #canResume: boolean;
  #transport: Transport | null = null;
  #peer: RpcPeer | null = null;
  #closing: Promise<void> | null = null;
  readonly #notificationListeners = new Map<string, Set<NotificationListener>>();
  readonly #resumeListeners = new Set<() => Promise<void>>();
  readonly #closeListeners = new Set<(reason: string) => void>();

  private constructor(url: string, connect: Connector, options: ExecServerClientOptions, canResume = true) {
    this.#canResume = canResume;
    this.url = url;
    this.#connect = connect;
    this.#options = options;
  }

  /** Connect over a websocket, initialize (or resume) and send initialized. */
  static async connect(url: string, options: ExecServerClientOptions = {}): Promise<ExecServerClient> {
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const connector: Connector = async (receive, onClose) => {
      const ws = await openWebSocket(url, { timeoutMs, headers: options.headers });
      // Frames are handled in a later task, never inside the socket's message event: Bun 1.4.4's
      // client sometimes misreads the next frame (a protocol error, RSV2/RSV3, and the connection
      // drops) when a frame is sent from within that event's microtasks, which is what a caller
      // awaiting a call does next. Seen in 3 of 20 runs of the dialect contract test, 0 of 40 so.
      const later = laterInOrder();
      ws.addEventListener("message", (event) => {
        const data = event.data as string | ArrayBuffer;
        later(() => receive(data));
      });
      ws.addEventListener("close", (event) =>
        later(() => onClose(`exec-server connection closed (code ${event.code})`)),
      );
      return webSocketTransport(ws);
    };
    const client = new ExecServerClient(url, connector, options);
    await client.#open(options.resumeSessionId);
    return client;
  }

  /**
   * Start a server program that speaks the protocol on its stdin and stdout (`--listen stdio`, as
   * Codex's environments.toml `program` entries do), and connect to it. Closing the client ends
   * the program's stdin, which ends the program.
   */
  static async spawn(argv: string[], options: ExecServerClientOptions = {}): Promise<ExecServerClient> {
    const connector: Connector = async (receive, onClose) => spawnStdioTransport(argv, receive, onClose);
    const client = new ExecServerClient(`stdio:${argv.join(" ")}`, connector, options, false);
    await client.#open(options.resumeSessionId);
    return client;
  }

  get sessionId(): string {
    return this.#sessionId;
  }

  /** What the server said of its host at initialize (null from a server that says nothing). */
  get environmentInfo(): EnvironmentInfo | null {
    return this.#environmentInfo;
  }

  get isConnected(): boolean {
    return this.#peer !== null && !this.#peer.isClosed;
  }

  /** Call a method; params and result are typed and checked from the wire table. */
  async call<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (!this.#peer || this.#peer.isClosed) throw new TransportClosed("exec-server connection is closed");
    const result = await this.#peer.request(method, params);
    const parsed = METHODS[method].result.safeParse(result);
    if (!parsed.success)
      throw new InvalidRequest(`malformed ${method} result from server: ${parsed.error.message}`);
    return parsed.data as ResultOf<M>;
  }

  /** Every notification of one kind, its params checked. Returns an unsubscribe function. */
  onNotification<N extends Notification>(
    method: N,
    listener: (params: NotificationParamsOf<N>) => void,
  ): () => void {
    const listeners = this.#notificationListeners.get(method) ?? new Set<NotificationListener>();
    this.#notificationListeners.set(method, listeners);
    const untyped = listener as NotificationListener;
    listeners.add(untyped);
    return () => listeners.delete(untyped);
  }

  /** Called after each successful reconnect, before reconnect() resolves (to catch up). */
  onResume(listener: () => Promise<void>): () => void {
    this.#resumeListeners.add(listener);
    return () => this.#resumeListeners.delete(listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Reconnect to the same server and resume the session; then every resume listener catches up. */
  async reconnect(): Promise<void> {
    // A server program ends with its stdin, and its session with it: there is nothing to resume.
    if (!this.#canResume) throw new InvalidRequest("a server started as a program cannot be reconnected to");
    this.#transport?.close();
    await this.#open(this.#sessionId);
    const results = await Promise.allSettled([...this.#resumeListeners].map((listener) => listener()));
    for (const result of results) {
      if (result.status === "rejected") log.warn("catch-up failed", { error: String(result.reason) });
    }
  }

  async close(): Promise<void> {
    if (!this.#peer || this.#peer.isClosed) return;
    this.#closing ??= new Promise<void>((resolve) => {
      const stop = this.onClose(() => {
        stop();
        resolve();
      });
    });
    this.#transport?.close();
    await this.#closing;
    this.#closing = null;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #open(resumeSessionId: string | undefined): Promise<void> {
    let peer: RpcPeer | null = null;
    const transport = await this.#connect(
      (data) => peer?.receive(data),
      (reason) => {
        peer?.closed(reason);
        if (this.#peer === peer) for (const listener of this.#closeListeners) listener(reason);
      },
    );
    peer = new RpcPeer(transport, {
      onNotification: (method, params) => this.#onNotification(method, params),
    });
    this.#transport = transport;
    this.#peer = peer;
    const clientName = this.#options.clientName ?? "codex-exec-server-client";
    let result: ResultOf<"initialize">;
    try {
      // Our processes' events come from the notifications (src/process/remote.ts).
      result = await this.call("initialize", {
        clientName,
        resumeSessionId: resumeSessionId ?? null,
        outputFromNotifications: true,
      });
    } catch (error) {
      // Nobody else holds this transport: a refused handshake must not leave it (or a server
      // program) open.
      transport.close();
      throw error;
    }
    this.#sessionId = result.sessionId;
    this.#environmentInfo = result.environmentInfo ?? null;
    peer.notify("initialized", {});
  }

  #onNotification(method: string, params: unknown): void {
    const listeners = this.#notificationListeners.get(method);
    if (!isNotification(method) || !listeners?.size) {
      log.debug("ignored notification", { method });
      return;
    }
    const parsed = NOTIFICATIONS[method].safeParse(params);
    if (!parsed.success) {
      log.debug("malformed notification", { method, error: parsed.error.message });
      return;
    }
    for (const listener of listeners) listener(parsed.data);
  }
}
