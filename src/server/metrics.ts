// GET /metrics in the Prometheus text format (version 0.0.4), behind the websocket's own
// admission checks. Counters are counted where the events happen (the router, the sessions, the
// output flow); gauges are read from the session registry at each scrape. Method labels are only
// the protocol's own names, so a client cannot grow the label set with made-up methods.
import { isMethod } from "../protocol/methods.ts";

export interface Gauges {
  sessionsAttached: number;
  sessionsDetached: number;
  processesRunning: number;
}

const PREFIX = "codex_exec_server";

export class Metrics {
  /** Per method (a table without a prototype: the counts are looked up per request). */
  readonly #requests: Record<string, number> = Object.create(null);
  readonly #errors = new Map<string, number>();
  #outputBytes = 0;
  #notificationsDropped = 0;

  request(method: string): void {
    const counts = this.#requests;
    const count = counts[method];
    if (count !== undefined) counts[method] = count + 1;
    else {
      const label = isMethod(method) ? method : "other";
      counts[label] = (counts[label] ?? 0) + 1;
    }
  }

  failed(method: string): void {
    const label = isMethod(method) ? method : "other";
    this.#errors.set(label, (this.#errors.get(label) ?? 0) + 1);
  }

  output(bytes: number): void {
    this.#outputBytes += bytes;
  }

  dropped(): void {
    this.#notificationsDropped++;
  }

  render(gauges: Gauges): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${PREFIX}_${name} ${help}`, `# TYPE ${PREFIX}_${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${PREFIX}_${name}${labels} ${value}`);
    };
    const byMethod = (counts: Map<string, number> | Record<string, number>): [string, number][] =>
      (counts instanceof Map ? [...counts] : Object.entries(counts))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([method, n]) => [`{method="${method}"}`, n]);
    metric("sessions", "gauge", "Sessions alive, by whether a connection holds them.", [
      ['{state="attached"}', gauges.sessionsAttached],
      ['{state="detached"}', gauges.sessionsDetached],
    ]);
    metric("processes_running", "gauge", "Processes whose output has not closed yet.", [
      ["", gauges.processesRunning],
    ]);
    metric("output_bytes_total", "counter", "Bytes of output read from programs.", [["", this.#outputBytes]]);
    metric("requests_total", "counter", "JSON-RPC requests received, by method.", byMethod(this.#requests));
    metric(
      "request_errors_total",
      "counter",
      "Requests answered with an error, by method.",
      byMethod(this.#errors),
    );
    metric(
      "notifications_dropped_total",
      "counter",
      "Output notifications dropped for slow readers (process/read still has the data).",
      [["", this.#notificationsDropped]],
    );
    return `${lines.join("\n")}\n`;
  }
}
