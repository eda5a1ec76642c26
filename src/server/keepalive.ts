// Keepalive: ping connections that have been quiet for a while and close those that stay silent,
// so a half-open TCP connection cannot hold a session forever (closing detaches it).
//
// Hearing from a socket is a flag on its data, set per frame received (a message or a pong) and
// read once per interval: no clock is read and no table written per frame. A socket is pinged at
// the first tick that finds it quiet for a whole interval and closed at the second, as when each
// frame's time was kept (quiet for 1–2 intervals, then 2–3).
import type { ServerWebSocket } from "bun";
import { logger } from "../log.ts";

const log = logger("keepalive");

/** What keepalive keeps on each socket's data. */
export interface Heard {
  /** Something came from the peer since the last tick. */
  heard?: boolean;
  /** The socket's connection, once it has one: its pings are numbered (see OutputFlow). */
  connection?: { ping(): void };
}

export class Keepalive {
  /** Each watched socket with the ticks it has been quiet for. */
  readonly #quietTicks = new Map<ServerWebSocket<Heard>, number>();
  readonly #timer: Timer | null = null;

  /** intervalMs 0 turns keepalive off. */
  constructor(readonly intervalMs: number) {
    if (intervalMs > 0) {
      this.#timer = setInterval(() => this.#tick(), intervalMs);
      this.#timer.unref();
    }
  }

  add(ws: ServerWebSocket<Heard>): void {
    this.#quietTicks.set(ws, 0);
    ws.data.heard = true;
  }

  remove(ws: ServerWebSocket<Heard>): void {
    this.#quietTicks.delete(ws);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  #tick(): void {
    for (const [ws, quiet] of this.#quietTicks) {
      if (ws.data.heard) {
        ws.data.heard = false;
        this.#quietTicks.set(ws, 0);
      } else if (quiet >= 1) {
        log.warn("connection stopped answering; closing it", { quietMs: 2 * this.intervalMs });
        this.#quietTicks.delete(ws);
        ws.terminate();
      } else {
        this.#quietTicks.set(ws, 1);
        if (ws.data.connection) ws.data.connection.ping();
        else ws.ping();
      }
    }
  }
}
