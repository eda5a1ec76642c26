// Bun.serve with websocket upgrade on any path. Each socket gets a ServerConnection; the session
// registry outlives the sockets.
import type { Server, ServerWebSocket } from "bun";
import { LocalFileSystem } from "../fs/local.ts";
import { logger } from "../log.ts";
import { DEFAULT_PROCESS_OPTIONS } from "../process/local.ts";
import { type ConnectionServices, ServerConnection } from "./connection.ts";
import { FsHandler } from "./fs-handler.ts";
import { SessionRegistry } from "./sessions.ts";

const log = logger("server");

export interface ServerOptions {
  host: string;
  port: number;
  sessionTtlMs: number;
  retainedOutputBytes: number;
  /** How long a closed process stays readable (30 s, shorter in tests). */
  closedRetentionMs?: number;
  /** How often detached sessions are checked for expiry (default: a quarter of the TTL, ≤ 1 s). */
  sweepIntervalMs?: number;
  /** The clock session deadlines are measured on (tests inject one). */
  now?: () => number;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: "127.0.0.1",
  port: 0,
  sessionTtlMs: 30_000,
  retainedOutputBytes: DEFAULT_PROCESS_OPTIONS.retainedOutputBytes,
};

interface SocketData {
  connection?: ServerConnection;
}

export interface ExecServer {
  readonly url: string;
  readonly port: number;
  readonly sessions: SessionRegistry;
  /** Stop listening, close every socket and kill every managed process group. */
  stop(): Promise<void>;
}

export function createServices(options: ServerOptions): ConnectionServices {
  return {
    sessions: new SessionRegistry({
      ttlMs: options.sessionTtlMs,
      sweepIntervalMs: options.sweepIntervalMs,
      now: options.now,
      process: {
        retainedOutputBytes: options.retainedOutputBytes,
        closedRetentionMs: options.closedRetentionMs ?? DEFAULT_PROCESS_OPTIONS.closedRetentionMs,
      },
    }),
    fs: new FsHandler(new LocalFileSystem()),
  };
}

export function formatWsUrl(host: string, port: number): string {
  return `ws://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export function startServer(overrides: Partial<ServerOptions> = {}): ExecServer {
  const options = { ...DEFAULT_SERVER_OPTIONS, ...overrides };
  const services = createServices(options);
  const server: Server<SocketData> = Bun.serve<SocketData>({
    hostname: options.host,
    port: options.port,
    fetch(request, server) {
      if (server.upgrade(request, { data: {} })) return undefined;
      return new Response("Upgrade Required: this is a websocket endpoint\n", {
        status: 426,
        headers: { Upgrade: "websocket" },
      });
    },
    websocket: {
      open(ws: ServerWebSocket<SocketData>) {
        ws.data.connection = new ServerConnection(
          { send: (text) => ws.sendText(text), close: (code, reason) => ws.close(code, reason) },
          services,
        );
      },
      message(ws, message) {
        ws.data.connection?.receive(message);
      },
      close(ws) {
        ws.data.connection?.closed();
      },
    },
  });
  const port = server.port ?? options.port;
  const url = formatWsUrl(options.host, port);
  log.info("listening", { url });
  return {
    url,
    port,
    sessions: services.sessions,
    async stop() {
      services.sessions.close();
      await server.stop(true);
    },
  };
}
