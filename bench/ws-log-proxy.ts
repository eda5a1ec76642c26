// A logging websocket proxy on 127.0.0.1: a client connects to it, it connects to an upstream
// exec-server, and every text frame passes through unchanged and is recorded with its direction.
// Used to capture what a real Codex client sends (bench/codex-tasks.ts --log-frames), never in CI.
// `bun bench/ws-log-proxy.ts --upstream ws://127.0.0.1:PORT --out frames.jsonl` prints its own URL.
import { appendFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { ServerWebSocket } from "bun";

export interface Frame {
  /** Which connection through the proxy, counted from 1. */
  connection: number;
  /** "stderr" is a line the server wrote to its stderr (stdio servers, bench/stdio-log-shim.ts). */
  direction: "client->server" | "server->client" | "stderr";
  text: string;
}

export interface WsLogProxy {
  url: string;
  frames: Frame[];
  stop(): void;
}

interface Link {
  connection: number;
  upstream: WebSocket;
  /** Client frames that arrived before the upstream socket opened, in order. */
  pending: string[];
}

/** Proxy to `upstream`; the client's Authorization header (a bearer token) is passed on. */
export function startWsLogProxy(upstream: string, onFrame?: (frame: Frame) => void): WsLogProxy {
  if (!/^wss?:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:|\/|$)/.test(upstream))
    throw new Error(`upstream must be on 127.0.0.1 or ::1: ${upstream}`);
  const frames: Frame[] = [];
  const record = (frame: Frame) => {
    frames.push(frame);
    onFrame?.(frame);
  };
  let connections = 0;
  const sockets = new Set<ServerWebSocket<Link>>();
  const server = Bun.serve<Link>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      const authorization = request.headers.get("authorization");
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const connection = ++connections;
      const socket = new WebSocket(upstream, { headers, perMessageDeflate: false } as never);
      const data: Link = { connection, upstream: socket, pending: [] };
      if (srv.upgrade(request, { data })) return undefined;
      socket.close();
      return new Response("expected a websocket upgrade", { status: 400 });
    },
    websocket: {
      perMessageDeflate: false,
      maxPayloadLength: 256 * 1024 * 1024,
      open(ws) {
        sockets.add(ws);
        const { upstream: socket, connection } = ws.data;
        socket.onopen = () => {
          for (const text of ws.data.pending) socket.send(text);
          ws.data.pending = [];
        };
        socket.onmessage = (event) => {
          const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
          record({ connection, direction: "server->client", text });
          ws.send(text);
        };
        socket.onclose = (event) => ws.close(event.code === 1005 || event.code === 1006 ? 1000 : event.code);
        socket.onerror = () => ws.close(1011);
      },
      message(ws, message) {
        const text = typeof message === "string" ? message : new TextDecoder().decode(message);
        record({ connection: ws.data.connection, direction: "client->server", text });
        if (ws.data.upstream.readyState === WebSocket.OPEN) ws.data.upstream.send(text);
        else ws.data.pending.push(text);
      },
      close(ws) {
        sockets.delete(ws);
        ws.data.upstream.close();
      },
    },
  });
  return {
    url: `ws://127.0.0.1:${server.port}`,
    frames,
    stop() {
      for (const ws of sockets) ws.data.upstream.close();
      server.stop(true);
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { upstream: { type: "string" }, out: { type: "string" } } });
  if (!values.upstream || !values.out) {
    console.error("usage: bun bench/ws-log-proxy.ts --upstream ws://127.0.0.1:PORT --out FILE.jsonl");
    process.exit(2);
  }
  const out = values.out;
  const proxy = startWsLogProxy(values.upstream, (frame) =>
    appendFileSync(out, `${JSON.stringify(frame)}\n`),
  );
  console.log(proxy.url);
  process.on("SIGINT", () => {
    proxy.stop();
    process.exit(0);
  });
}
