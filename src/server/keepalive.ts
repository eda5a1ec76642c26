// Keepalive: ping connections that have been quiet for a while and close those that stay silent,
// so a half-open TCP connection cannot hold a session forever (closing detaches it).
import type { ServerWebSocket } from "bun";
import { logger } from "../log.ts";

const log = logger("keepalive");

export class Keepalive {
  readonly #lastHeard = new Map<ServerWebSocket<unknown>, number>();
  readonly #timer: Timer | null = null;

  /** intervalMs 0 turns keepalive off. */
  constructor(readonly intervalMs: number) {
    if (intervalMs > 0) {
      this.#timer = setInterval(() => this.#tick(), intervalMs);
      this.#timer.unref();
    }
  }

  add(ws: ServerWebSocket<unknown>): void {
    this.#lastHeard.set(ws, performance.now());
  }

  heard(ws: ServerWebSocket<unknown>): void {
    if (this.#lastHeard.has(ws)) this.#lastHeard.set(ws, performance.now());
  }

  remove(ws: ServerWebSocket<unknown>): void {
    this.#lastHeard.delete(ws);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  #tick(): void {
    const now = performance.now();
    for (const [ws, heard] of this.#lastHeard) {
      const quietMs = now - heard;
      if (quietMs >= 2 * this.intervalMs) {
        log.warn("connection stopped answering; closing it", { quietMs: Math.round(quietMs) });
        this.#lastHeard.delete(ws);
        ws.terminate();
      } else if (quietMs >= this.intervalMs) {
        ws.ping();
      }
    }
  }
}
