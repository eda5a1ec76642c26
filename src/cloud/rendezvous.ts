// The cloud attach loop: register, dial the rendezvous websocket, serve it with the same
// ServerConnection as local mode, and when it closes or cannot connect, wait and do it all again
// (same idempotency id). The services (session registry) outlive every socket, so a harness that
// comes back through a new rendezvous resumes its session.
//
// Registration failures end the run until the first registration has succeeded (a wrong URL or
// sign-in should fail fast). After that, transient ones (network, timeout, 408/429/5xx) are retried
// with the same backoff; auth failures and other statuses still end the run.
import { CloudError } from "../errors.ts";
import { logger } from "../log.ts";
import { redactUrl, webSocketTransport } from "../rpc/websocket.ts";
import { type ConnectionServices, ServerConnection } from "../server/connection.ts";
import { type BackoffOptions, backoffDelayMs, sleep } from "./backoff.ts";
import type { RegisterExecutorResponse } from "./registry.ts";

const log = logger("cloud");

export interface Registrar {
  register(signal?: AbortSignal): Promise<RegisterExecutorResponse>;
}

export interface CloudExecutorOptions {
  registry: Registrar;
  services: ConnectionServices;
  backoff: BackoffOptions;
  connectTimeoutMs: number;
  /** Ping the open socket this often; a socket silent for a whole interval is dropped (half-open). */
  keepaliveMs: number;
  /** Aborted by SIGINT/SIGTERM: the loop returns and the open socket is closed. */
  signal: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

type Outcome = { isServed: true; reason: string } | { isServed: false; reason: string };

/** Runs until the signal aborts (resolves) or a registration fails for good (rejects with a CloudError). */
export async function runCloudExecutor(options: CloudExecutorOptions): Promise<void> {
  const { registry, signal } = options;
  const wait = options.sleep ?? sleep;
  let hasRegistered = false;
  let failures = 0;
  while (!signal.aborted) {
    let outcome: Outcome;
    try {
      const registration = await registry.register(signal);
      hasRegistered = true;
      log.info(`cloud executor ${registration.id} registered in environment ${registration.environment_id}`);
      outcome = await serveRendezvous(registration.url, options);
    } catch (error) {
      if (signal.aborted) return;
      if (!hasRegistered || !(error instanceof CloudError) || !error.isTransient) throw error;
      outcome = { isServed: false, reason: `registration failed: ${error.message}` };
    }
    if (signal.aborted) return;
    failures = outcome.isServed ? 0 : failures + 1;
    const delayMs = backoffDelayMs(failures, options.backoff);
    log.warn("cloud rendezvous reconnecting", { reason: outcome.reason, attempt: failures + 1, delayMs });
    await wait(delayMs, signal);
  }
}

/** Dial one rendezvous socket and serve it until it closes. Never throws. */
async function serveRendezvous(url: string, options: CloudExecutorOptions): Promise<Outcome> {
  const { services, signal, connectTimeoutMs, keepaliveMs } = options;
  const where = redactUrl(url);
  let ws: WebSocket;
  try {
    // The Codex service's rendezvous (tungstenite) drops handshakes that offer permessage-deflate.
    ws = new WebSocket(url, { perMessageDeflate: false });
  } catch (error) {
    return { isServed: false, reason: `cannot connect to ${where}: ${(error as Error).message}` };
  }
  ws.binaryType = "arraybuffer";
  // Listeners go on before the socket opens, so no frame can arrive unheard.
  const connection = new ServerConnection(webSocketTransport(ws), services);
  let isOpen = false;
  let failure: string | undefined;
  const pinger = keepalive(ws, keepaliveMs, () => {
    failure = `no answer to a keepalive ping within ${keepaliveMs} ms`;
    ws.terminate();
  });
  const ended = Promise.withResolvers<Outcome>();
  const timer = setTimeout(() => {
    ended.resolve({
      isServed: false,
      reason: `connecting to ${where} timed out after ${connectTimeoutMs} ms`,
    });
    ws.close();
  }, connectTimeoutMs);
  // Stopping does not wait for the closing handshake: a half-open peer would hold it for 30 s.
  const onAbort = () => {
    ended.resolve({ isServed: isOpen, reason: "stopped" });
    ws.close(1001, "executor shutting down");
  };
  signal.addEventListener("abort", onAbort, { once: true });
  ws.addEventListener("open", () => {
    clearTimeout(timer);
    isOpen = true;
    log.info("cloud rendezvous connected", { url: where });
    pinger.start();
  });
  ws.addEventListener("pong", () => pinger.heard());
  ws.addEventListener("error", (event) => {
    failure ??= (event as ErrorEvent).message || undefined;
  });
  ws.addEventListener("message", (event) => {
    pinger.heard();
    const { data } = event;
    if (typeof data === "string" || data instanceof ArrayBuffer || data instanceof Uint8Array) {
      connection.receive(data);
    }
  });
  ws.addEventListener("close", (event) => {
    clearTimeout(timer);
    pinger.stop();
    connection.closed();
    const detail = [event.code, event.reason, failure].filter(Boolean).join(" ");
    ended.resolve(
      isOpen
        ? { isServed: true, reason: `rendezvous closed (${detail})` }
        : { isServed: false, reason: `cannot connect to ${where} (${detail})` },
    );
  });
  const outcome = await ended.promise;
  signal.removeEventListener("abort", onAbort);
  return outcome;
}

/** Ping every intervalMs; when a whole interval passes without a pong or a frame, call onSilent. */
function keepalive(ws: WebSocket, intervalMs: number, onSilent: () => void) {
  let hasHeard = true;
  let timer: Timer | undefined;
  const tick = () => {
    if (!hasHeard) {
      clearInterval(timer);
      onSilent();
      return;
    }
    hasHeard = false;
    try {
      ws.ping();
    } catch (error) {
      log.debug("keepalive ping failed", { error: String(error) });
    }
  };
  return {
    start: () => {
      timer = setInterval(tick, intervalMs);
    },
    heard: () => {
      hasHeard = true;
    },
    stop: () => clearInterval(timer),
  };
}
