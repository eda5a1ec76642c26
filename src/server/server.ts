// Bun.serve with websocket upgrade on any path. Each socket gets a ServerConnection; the session
// registry outlives the sockets. In front of the upgrade: /readyz and the admission checks.
// The listener is light and starts at once; the services (schemas, sessions, processes) load right
// after it, and a socket that opens before they are ready has its frames queued until they are.
import type { Server, ServerWebSocket } from "bun";
import { logger } from "../log.ts";
import { refusal } from "./admission.ts";
import type { ConnectionServices, ServerConnection } from "./connection.ts";
import { type Heard, Keepalive } from "./keepalive.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { DEFAULT_SERVER_OPTIONS, type ServerOptions, type ServerOverrides } from "./server-options.ts";
import type { Containment } from "./services.ts";
import type { SessionRegistry } from "./sessions.ts";

export * from "./server-options.ts";

const log = logger("server");

type Core = typeof import("./services.ts");

interface SocketData extends Heard {
  connection?: ServerConnection;
  /** Frames that arrived before the services were loaded. */
  queued?: (string | Buffer)[];
  isClosed?: boolean;
}

export interface ExecServer {
  readonly url: string;
  readonly port: number;
  /** The session registry (available once `ready` has resolved, which any served request implies). */
  readonly sessions: SessionRegistry;
  /** Resolves when the services are loaded. */
  readonly ready: Promise<void>;
  /** Stop listening, close every socket, kill every managed process family and wait for it. */
  stop(): Promise<void>;
}

/** What every connection shares; see services.ts (loaded lazily, it holds the heavy parts). */
export async function createServices(options: ServerOverrides = {}): Promise<ConnectionServices> {
  return (await import("./services.ts")).createServices(options);
}

export function formatWsUrl(host: string, port: number): string {
  return `ws://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export function startServer(overrides: ServerOverrides = {}): ExecServer {
  const options: ServerOptions = {
    ...DEFAULT_SERVER_OPTIONS,
    ...overrides,
    limits: { ...DEFAULT_LIMITS, ...overrides.limits },
  };
  const keepalive = new Keepalive(options.keepaliveMs);
  let loaded: { services: ConnectionServices; Connection: typeof ServerConnection; core: Core } | null = null;
  let containment: Containment | null = null;
  // After this tick: the caller prints the URL first, then the services load.
  const ready = new Promise((resolve) => setImmediate(resolve))
    .then(() => import("./services.ts"))
    .then((core) => {
      loaded = { services: core.createServices(options), Connection: core.ServerConnection, core };
      containment = core.startContainment(options);
    });
  const attach = (ws: ServerWebSocket<SocketData>) => {
    if (!loaded || ws.data.isClosed) return;
    const connection = new loaded.Connection(corkedTransport(ws), loaded.services);
    ws.data.connection = connection;
    for (const frame of ws.data.queued ?? []) connection.receive(frame);
    ws.data.queued = undefined;
  };
  const server: Server<SocketData> = Bun.serve<SocketData>({
    hostname: options.host,
    port: options.port,
    fetch(request, server) {
      const { pathname } = new URL(request.url);
      if (request.method === "GET" && pathname === "/readyz") return new Response("ok\n");
      if (request.method === "GET" && pathname === "/metrics") return metrics(request, server);
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return new Response("Upgrade Required: this is a websocket endpoint\n", {
          status: 426,
          headers: { Upgrade: "websocket" },
        });
      }
      const refused = refusal(request, options);
      if (refused) {
        log.warn("connection refused", {
          status: refused.status,
          peer: server.requestIP(request)?.address,
          origin: request.headers.get("origin"),
        });
        return refused;
      }
      if (server.upgrade(request, { data: {} })) return undefined;
      return new Response("websocket upgrade failed\n", { status: 400 });
    },
    websocket: {
      maxPayloadLength: options.limits.maxFrameBytes,
      // Past this the connection is closed: a response is never dropped silently.
      backpressureLimit: options.limits.maxBufferedBytes,
      closeOnBackpressureLimit: true,
      // Keepalive is ours (millisecond intervals, detach on silence), not Bun's.
      idleTimeout: 0,
      sendPings: false,
      open(ws: ServerWebSocket<SocketData>) {
        keepalive.add(ws);
        if (loaded) attach(ws);
        else {
          ws.data.queued = [];
          void ready.then(() => attach(ws));
        }
      },
      message(ws, message) {
        const { data } = ws;
        data.heard = true;
        if (data.connection) data.connection.receive(message);
        else data.queued?.push(message);
      },
      pong(ws, data) {
        ws.data.heard = true;
        ws.data.connection?.pong(data.toString("latin1"));
      },
      drain(ws) {
        ws.data.connection?.drained();
      },
      close(ws, code) {
        keepalive.remove(ws);
        ws.data.isClosed = true;
        ws.data.connection?.closed(code);
      },
    },
  });
  /** /metrics answers only whom the websocket would admit; 503 until the services are loaded. */
  function metrics(request: Request, server: Server<SocketData>): Response {
    const refused = refusal(request, options);
    if (refused) {
      log.warn("metrics refused", { status: refused.status, peer: server.requestIP(request)?.address });
      return refused;
    }
    if (!loaded) return new Response("starting\n", { status: 503 });
    const { services } = loaded;
    return new Response(services.metrics.render(services.sessions.gauges()), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  }

  const port = server.port ?? options.port;
  const url = formatWsUrl(options.host, port);
  // After the caller's URL line (a microtask): the first message makes the logger.
  queueMicrotask(() => log.info("listening", { url }));
  const servicesOf = () => {
    if (!loaded) throw new Error("the server is still starting");
    return loaded.services;
  };
  return {
    url,
    port,
    ready,
    get sessions() {
      return servicesOf().sessions;
    },
    async stop() {
      keepalive.stop();
      await ready;
      const killed = servicesOf().sessions.close();
      await server.stop(true);
      await (loaded as unknown as { core: Core }).core.finishShutdown(killed, containment);
    },
  };
}

/**
 * A message at least this long leaves at once, uncorked: corked, uWS copies it into a frame buffer
 * made for it before writing, where uncorked it writes the string as it is; and one write of its
 * size saves no syscalls.
 */
const UNCORKED_BYTES = 64 * 1024;

/**
 * Messages sent in one tick (a pipe read makes several output notifications) leave in one corked
 * write instead of one syscall each; a long one leaves at once, after those queued before it.
 */
function corkedTransport(ws: ServerWebSocket<SocketData>) {
  let queue: string[] = [];
  let queuedBytes = 0;
  const flush = () => {
    const batch = queue;
    if (batch.length === 0) return;
    queue = [];
    queuedBytes = 0;
    if (ws.data.isClosed) return;
    ws.cork(() => {
      for (const text of batch) ws.sendText(text);
    });
  };
  return {
    send(text: string) {
      if (text.length >= UNCORKED_BYTES) {
        flush();
        if (!ws.data.isClosed) ws.sendText(text);
        return;
      }
      if (queue.length === 0) queueMicrotask(flush);
      queue.push(text);
      queuedBytes += text.length;
    },
    close: (code?: number, reason?: string) => ws.close(code, reason),
    bufferedAmount: () => ws.getBufferedAmount() + queuedBytes,
    // After what this tick queued: the pong then covers it.
    ping(payload: string) {
      flush();
      if (!ws.data.isClosed) ws.ping(payload);
    },
  };
}
