// The runtime's WebSocket as an RpcPeer transport. We never offer permessage-deflate: the Codex
// reference server (tungstenite) drops handshakes that do.
import { RequestTimeout, TransportClosed } from "../errors.ts";
import type { Transport } from "./peer.ts";

export interface OpenOptions {
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export async function openWebSocket(
  url: string,
  { timeoutMs = 10_000, headers }: OpenOptions = {},
): Promise<WebSocket> {
  if (typeof WebSocket !== "function") {
    throw new TransportClosed(
      "this runtime has no WebSocket: use Bun, Node >= 22, or Node 20 with --experimental-websocket",
    );
  }
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  ws.binaryType = "arraybuffer";
  const { promise, resolve, reject } = Promise.withResolvers<WebSocket>();
  const timer = setTimeout(() => {
    reject(new RequestTimeout(`connecting to ${redactUrl(url)} timed out after ${timeoutMs} ms`));
    ws.close();
  }, timeoutMs);
  ws.addEventListener("open", () => resolve(ws), { once: true });
  ws.addEventListener(
    "error",
    (event) => {
      // The runtime names a refused upgrade's HTTP status only in the message ("Expected 101
      // status code: 401"); callers tell a refused token from an unreachable server by it.
      const status = /status code: (\d{3})/.exec(String((event as { message?: string }).message))?.[1];
      const suffix = status ? ` (HTTP ${status})` : "";
      const error = new TransportClosed(`cannot connect to ${redactUrl(url)}${suffix}`);
      reject(status ? Object.assign(error, { httpStatus: Number(status) }) : error);
    },
    { once: true },
  );
  ws.addEventListener("close", () => reject(new TransportClosed(`cannot connect to ${redactUrl(url)}`)), {
    once: true,
  });
  return promise.finally(() => clearTimeout(timer));
}

export function webSocketTransport(ws: WebSocket): Transport {
  return {
    send: (text) => ws.send(text),
    close: (code, reason) => ws.close(code, reason),
    bufferedAmount: () => ws.bufferedAmount,
  };
}

/** A URL fit for logs and errors: no query string (it may carry a signature) and no credentials. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    const hasQuery = parsed.search !== "";
    parsed.search = "";
    parsed.hash = "";
    // Appended after serializing: URL would percent-encode the ellipsis.
    return `${parsed.toString()}${hasQuery ? "?…" : ""}`;
  } catch {
    return "<invalid url>";
  }
}
