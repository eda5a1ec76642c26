// Bun.serve with websocket upgrade on any path. Each socket gets a ServerConnection; the session
// registry outlives the sockets. In front of the upgrade: /readyz and the admission checks.
import type { Server, ServerWebSocket } from "bun";
import { LocalFileSystem } from "../fs/local.ts";
import { logger } from "../log.ts";
import { listProcesses } from "../process/family.ts";
import { DEFAULT_PROCESS_OPTIONS } from "../process/local.ts";
import { OrphanReaper } from "../process/reaper.ts";
import { isSpawnedChild } from "../process/spawn.ts";
import { type AdmissionOptions, refusal } from "./admission.ts";
import { type ConnectionServices, ServerConnection } from "./connection.ts";
import { FsHandler } from "./fs-handler.ts";
import { Keepalive } from "./keepalive.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";
import { SessionRegistry } from "./sessions.ts";

const log = logger("server");

export interface ServerOptions extends AdmissionOptions {
  host: string;
  port: number;
  sessionTtlMs: number;
  retainedOutputBytes: number;
  limits: Limits;
  /** Ping idle connections this often; one silent for twice as long is closed (0: never). */
  keepaliveMs: number;
  /** Become a child subreaper and reap orphans (Linux; the CLI turns it on: it is process-wide). */
  reapOrphans: boolean;
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
  limits: DEFAULT_LIMITS,
  keepaliveMs: 30_000,
  reapOrphans: false,
  allowedOrigins: [],
  tokenSha256: null,
};

/** Options as callers give them: any subset, limits included. */
export type ServerOverrides = Partial<Omit<ServerOptions, "limits">> & { limits?: Partial<Limits> };

interface SocketData {
  connection?: ServerConnection;
}

export interface ExecServer {
  readonly url: string;
  readonly port: number;
  readonly sessions: SessionRegistry;
  /** Stop listening, close every socket, kill every managed process family and wait for it. */
  stop(): Promise<void>;
}

/** What every connection shares, whatever its transport (local websocket or cloud rendezvous). */
export function createServices(options: ServerOverrides = {}): ConnectionServices {
  const settings = { ...DEFAULT_SERVER_OPTIONS, ...options };
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  return {
    sessions: new SessionRegistry({
      ttlMs: settings.sessionTtlMs,
      maxSessions: limits.maxSessions,
      sweepIntervalMs: settings.sweepIntervalMs,
      now: settings.now,
      process: {
        retainedOutputBytes: settings.retainedOutputBytes,
        closedRetentionMs: settings.closedRetentionMs ?? DEFAULT_PROCESS_OPTIONS.closedRetentionMs,
        maxProcesses: limits.maxProcessesPerSession,
      },
    }),
    fs: new FsHandler(new LocalFileSystem()),
    limits,
  };
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
  const services = createServices(options);
  const reaper = startReaper(options);
  const keepalive = new Keepalive(options.keepaliveMs);
  const server: Server<SocketData> = Bun.serve<SocketData>({
    hostname: options.host,
    port: options.port,
    fetch(request, server) {
      const { pathname } = new URL(request.url);
      if (request.method === "GET" && pathname === "/readyz") return new Response("ok\n");
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return new Response("Upgrade Required: this is a websocket endpoint\n", {
          status: 426,
          headers: { Upgrade: "websocket" },
        });
      }
      const refused = refusal(request, options);
      if (refused) {
        log.warn("connection refused", { status: refused.status, origin: request.headers.get("origin") });
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
        ws.data.connection = new ServerConnection(
          {
            send: (text) => ws.sendText(text),
            close: (code, reason) => ws.close(code, reason),
            bufferedAmount: () => ws.getBufferedAmount(),
          },
          services,
        );
      },
      message(ws, message) {
        keepalive.heard(ws);
        ws.data.connection?.receive(message);
      },
      pong(ws) {
        keepalive.heard(ws);
      },
      close(ws) {
        keepalive.remove(ws);
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
      keepalive.stop();
      const killed = services.sessions.close();
      await server.stop(true);
      await finishShutdown(killed, reaper);
    },
  };
}

/** The orphan reaper, when asked for (it is process-wide: the CLI asks, in-process servers do not). */
export function startReaper(options: Pick<ServerOptions, "reapOrphans">): OrphanReaper | null {
  if (!options.reapOrphans) return null;
  const reaper = new OrphanReaper(isSpawnedChild);
  reaper.start(1000);
  return reaper;
}

/** After the kills: wait for the killed to die, then reap what was orphaned to us. */
export async function finishShutdown(killed: number[], reaper: OrphanReaper | null): Promise<void> {
  await waitUntilGone(killed, 3000);
  reaper?.reap();
  reaper?.stop();
}

/** Wait (bounded) until killed processes have really died, so shutdown leaves nothing behind. */
async function waitUntilGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const wanted = new Set(pids);
  while (wanted.size > 0 && performance.now() < deadline) {
    const running = listProcesses().filter((p) => wanted.has(p.pid) && p.state !== "Z");
    if (running.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
