// One client connection: the handshake state machine, the gate in front of every method, and the
// routing of params to the handlers. The same class serves local websockets and cloud rendezvous.
import { LogLevels } from "consola/core";
import type { z } from "zod";
import { InvalidParams, InvalidRequest, MethodNotFound } from "../errors.ts";
import { FileHandles } from "../fs/handles.ts";
import { MissingWatcher } from "../fs/watch-missing.ts";
import type { HttpClient } from "../http/types.ts";
import type { LocalHostInfo } from "../info/local.ts";
import { logger } from "../log.ts";
import { FAST_PARAMS } from "../protocol/fast-params.ts";
import type { InitializeParams, InitializeResult } from "../protocol/initialize.ts";
import type { RequestId } from "../protocol/jsonrpc.ts";
import { isMethod, METHODS, type Method, type ParsedParamsOf } from "../protocol/methods.ts";
import { RpcPeer, type Transport } from "../rpc/peer.ts";
import type { ConfigHandler } from "./config-handler.ts";
import { FsConnectionHandler } from "./fs-connection-handler.ts";
import type { FsHandler } from "./fs-handler.ts";
import { type DeltaSink, HttpHandler } from "./http-handler.ts";
import type { Limits } from "./limits.ts";
import type { Metrics } from "./metrics.ts";
import { OutputFlow } from "./output-flow.ts";
import { PathOrder } from "./path-order.ts";
import { notificationFrame, ProcessHandler } from "./process-handler.ts";
import type { Attachment, EventSink, SessionRegistry } from "./sessions.ts";

type EventOf<S extends EventSink> = Parameters<S["deliver"]>[0];

const log = logger("connection");

export interface ConnectionServices {
  sessions: SessionRegistry;
  fs: FsHandler;
  metrics: Metrics;
  host: LocalHostInfo;
  http: HttpClient;
  config: ConfigHandler;
  limits: Pick<Limits, "maxPendingRequests" | "sendBufferBytes" | "slowReaderMs" | "maxBufferedBytes"> &
    Partial<Pick<Limits, "handshakeTimeoutMs">>;
}

type RoutedMethod = Exclude<Method, "initialize">;

/** The handlers of one connection: shared ones and those holding this connection's state. */
interface Handlers {
  readonly process: ProcessHandler;
  readonly fs: FsHandler;
  /** Made on first use: most connections never open a file, watch or stream a body. */
  readonly fsConnection: FsConnectionHandler;
  readonly http: HttpHandler;
  readonly config: ConfigHandler;
  readonly host: LocalHostInfo;
}

type Route<M extends RoutedMethod> = (
  h: Handlers,
  params: ParsedParamsOf<M>,
  attachment: Attachment,
) => unknown;

/** Each method's one delegating call; one table for every connection (no closures per connection). */
const ROUTES: { [M in RoutedMethod]: Route<M> } = {
  "environment/info": (h) => h.host.current,
  "process/start": (h, params) => h.process.start(params),
  "process/read": (h, params, attachment) => h.process.read(params, attachment.signal),
  "process/write": (h, params) => h.process.write(params),
  "process/signal": (h, params) => h.process.signal(params),
  "process/resize": (h, params) => h.process.resize(params),
  "process/terminate": (h, params) => h.process.terminate(params),
  "process/closeStdin": (h, params) => h.process.closeStdin(params),
  "fs/readFile": (h, params) => h.fs.readFile(params),
  "fs/writeFile": (h, params) => h.fs.writeFile(params, h.fsConnection.signal),
  "fs/createDirectory": (h, params) => h.fs.createDirectory(params),
  "fs/getMetadata": (h, params) => h.fs.getMetadata(params),
  "fs/readDirectory": (h, params) => h.fs.readDirectory(params),
  "fs/remove": (h, params) => h.fs.remove(params),
  "fs/copy": (h, params) => h.fs.copy(params, h.fsConnection.signal),
  "fs/walk": (h, params) => h.fs.walk(params),
  "fs/canonicalize": (h, params) => h.fs.canonicalize(params),
  "fs/open": (h, params) => h.fsConnection.open(params),
  "fs/readBlock": (h, params) => h.fsConnection.readBlock(params),
  "fs/writeBlock": (h, params) => h.fsConnection.writeBlock(params),
  "fs/close": (h, params) => h.fsConnection.close(params),
  "fs/watchMissing": (h, params) => h.fsConnection.watchMissing(params),
  "http/request": (h, params) => h.http.request(params),
  "environmentConfig/read": (h, params) => h.config.read(params),
};

export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  const parsed = schema.safeParse(params ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? issue.path.join(".") : "params";
  throw new InvalidParams(`invalid params: ${field}: ${issue?.message ?? "invalid"}`);
}

type HandshakeState = "new" | "awaitingInitialized" | "ready";

export class ServerConnection {
  readonly #peer: RpcPeer;
  readonly #transport: Transport;
  readonly #services: ConnectionServices;
  readonly #flow: OutputFlow;
  /** Calls in flight: long polls (process/read) and everything else, each within the limit. */
  readonly #pending = { polls: 0, calls: 0 };
  #state: HandshakeState = "new";
  #attachment: Attachment | null = null;
  #handlers: Handlers | null = null;
  /** This connection's open files, missing-path watch and streamed bodies, closed with it. */
  #owned: { fs: FsConnectionHandler; http: HttpHandler } | null = null;
  readonly #drainWaiters = new Set<() => void>();
  /** fs calls on one path take effect in the order they came (see path-order.ts). */
  readonly #paths = new PathOrder();
  /** Closes a connection that never initializes (it would hold a socket for ever). */
  #handshakeTimer: Timer | null = null;

  constructor(transport: Transport, services: ConnectionServices) {
    this.#services = services;
    this.#transport = transport;
    const { handshakeTimeoutMs } = services.limits;
    if (handshakeTimeoutMs) {
      this.#handshakeTimer = setTimeout(() => {
        log.info("closing a connection that did not initialize", { handshakeTimeoutMs });
        transport.close(1008, "initialize not received in time");
      }, handshakeTimeoutMs);
      this.#handshakeTimer.unref();
    }
    this.#peer = new RpcPeer(transport, {
      onRequest: (method, params, id) => this.#onRequest(method, params, id),
      onNotification: (method) => this.#onNotification(method),
    });
    this.#flow = new OutputFlow(
      {
        buffered: transport.bufferedAmount ?? (() => 0),
        ping: transport.ping,
        sentChars: () => this.#peer.sentChars,
        isClosed: () => this.#peer.isClosed,
        notify: (method, params) => this.#peer.notify(method, params),
        dropped: (processId, seq) => this.#attachment?.session.process.undelivered(processId, seq),
      },
      services.limits,
    );
  }

  receive(data: string | ArrayBuffer | Uint8Array): void {
    this.#peer.receive(data);
  }

  /** A pong from the client (its payload): it has read what was sent before the ping it answers. */
  pong(payload: string): void {
    this.#flow.pong(payload);
  }

  /** Ping the client (keepalive's): numbered, as every ping of a connection is (see OutputFlow). */
  ping(): void {
    this.#flow.ping();
  }

  /** A frame the transport dropped (over the frame limit): the client hears of it, id -1. */
  refuseFrame(reason: string): void {
    this.#peer.refuseFrame(reason);
  }

  /** The transport closed: detach the session (its processes keep running until the TTL). */
  closed(code?: number): void {
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#peer.closed();
    this.#owned?.fs.closeAll();
    this.#owned?.http.close();
    this.#wakeDrainWaiters();
    // 1005: a close frame without a code (what WebSocket.close() sends) is a clean close too;
    // 1006 and the rest are a lost connection.
    const isClean = code === 1000 || code === 1001 || code === 1005;
    if (this.#attachment) this.#services.sessions.detach(this.#attachment, isClean);
  }

  /** The answer, or a promise of it for a call that waits (the peer answers values at once). */
  #onRequest(method: string, params: unknown, id: RequestId): unknown {
    const { maxPendingRequests } = this.#services.limits;
    // Long polls have their own share, so a connection full of them can still terminate, write
    // and use files.
    const kind = method === "process/read" ? "polls" : "calls";
    if (this.#pending[kind] >= maxPendingRequests) {
      throw new InvalidRequest(
        `too many requests in flight on this connection (limit ${maxPendingRequests})`,
      );
    }
    const { metrics } = this.#services;
    metrics.request(method);
    let result: unknown;
    try {
      result = this.#handle(method, params, id);
    } catch (error) {
      metrics.failed(method);
      throw error;
    }
    if (!(result instanceof Promise)) return result;
    this.#pending[kind]++;
    return result.then(
      (value) => {
        this.#pending[kind]--;
        return value;
      },
      (error) => {
        this.#pending[kind]--;
        metrics.failed(method);
        throw error;
      },
    );
  }

  #handle(method: string, params: unknown, id: RequestId): unknown {
    if (!isMethod(method)) throw new MethodNotFound(method);
    if (log.level >= LogLevels.debug) log.debug("request", { method, id });
    // The reference's order: method lookup, then params, then the handshake state.
    const parsed = FAST_PARAMS[method]?.(params) ?? parseParams(METHODS[method].params, params);
    if (method === "initialize") return this.#initialize(parsed as InitializeParams);
    const attachment = this.#gate(method);
    const route = ROUTES[method] as (h: Handlers, params: unknown, attachment: Attachment) => unknown;
    const result = this.#paths.call(method, parsed, () =>
      route(this.#handlers as Handlers, parsed, attachment),
    );
    if (!(result instanceof Promise)) return result;
    // A call that finished after another connection took the session over must not answer as if
    // it still owned it (a long poll in particular).
    return result.then((value) => {
      if (!attachment.isCurrent) throw new InvalidRequest("session has been resumed by another connection");
      return value;
    });
  }

  #onNotification(method: string): void {
    if (method === "initialized") {
      if (this.#state === "awaitingInitialized") this.#state = "ready";
      return;
    }
    log.debug("ignored client notification", { method });
  }

  #initialize(params: InitializeParams): InitializeResult {
    if (this.#state !== "new") throw new InvalidRequest("initialize may only be sent once per connection");
    const sink: EventSink = { deliver: (event) => this.#deliver(event), flow: this.#flow };
    const { sessions } = this.#services;
    const attachment = params.resumeSessionId
      ? sessions.resume(params.resumeSessionId, sink)
      : sessions.create(sink);
    if (params.outputFromNotifications) attachment.session.process.readsFromNotifications();
    const { fs, host, config } = this.#services;
    const owned = () => {
      this.#owned ??= this.#connectionHandlers();
      return this.#owned;
    };
    this.#handlers = {
      process: new ProcessHandler(attachment.session.process),
      fs,
      config,
      host,
      get fsConnection() {
        return owned().fs;
      },
      get http() {
        return owned().http;
      },
    };
    this.#attachment = attachment;
    this.#state = "awaitingInitialized";
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    return { sessionId: attachment.session.id, environmentInfo: host.current };
  }

  #connectionHandlers(): { fs: FsConnectionHandler; http: HttpHandler } {
    const watcher = new MissingWatcher((watchId) => this.#peer.notify("fs/missingChanged", { watchId }));
    const { sendBufferBytes } = this.#services.limits;
    const isBehind = () =>
      !this.#peer.isClosed && (this.#transport.bufferedAmount?.() ?? 0) > sendBufferBytes;
    // A streamed body waits for the reader however long it takes (the request's own timeout
    // still runs): unlike program output, nothing is lost by not reading the upstream socket.
    const sink: DeltaSink = {
      notify: (method, params) => this.#peer.notify(method, params),
      isClosed: () => this.#peer.isClosed,
      congestion: async () => {
        // The transport corks a tick's messages and hands them on in a microtask: only after
        // that does its buffered amount say what the socket could not take.
        await new Promise((resolve) => setImmediate(resolve));
        while (isBehind()) {
          // Woken by the drain event; the timer covers a drain that came before we listened.
          const { promise, resolve } = Promise.withResolvers<void>();
          this.#drainWaiters.add(resolve);
          const timer = setTimeout(resolve, 20);
          await promise;
          clearTimeout(timer);
          // Woken by the timer, it must not stay behind for the next drain.
          this.#drainWaiters.delete(resolve);
        }
      },
    };
    return {
      fs: new FsConnectionHandler(new FileHandles(), watcher),
      http: new HttpHandler(this.#services.http, sink),
    };
  }

  /** The transport flushed its send buffer: held-back pipes and bodies may be read again. */
  drained(): void {
    this.#flow.drained();
    this.#wakeDrainWaiters();
  }

  #wakeDrainWaiters(): void {
    const waiters = [...this.#drainWaiters];
    this.#drainWaiters.clear();
    for (const wake of waiters) wake();
  }

  #deliver(event: EventOf<EventSink>): void {
    if (!this.#flow.admits(event)) {
      this.#services.metrics.dropped();
      return;
    }
    this.#peer.notifyFrame(notificationFrame(event));
  }

  /** The attachment a method may use (the handlers are set with it), or the handshake's refusal. */
  #gate(method: RoutedMethod): Attachment {
    if (this.#state === "new" || !this.#attachment || !this.#handlers) {
      throw new InvalidRequest(`client must call initialize before using ${METHODS[method].gate}`);
    }
    if (this.#state === "awaitingInitialized") {
      throw new InvalidRequest(`client must send initialized before using ${METHODS[method].gate}`);
    }
    if (!this.#attachment.isCurrent)
      throw new InvalidRequest("session has been resumed by another connection");
    return this.#attachment;
  }
}
