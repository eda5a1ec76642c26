// Guards GET /metrics: the Prometheus text format with sessions, running processes, output bytes,
// requests and errors by method, and dropped notifications; behind the websocket's token.
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { startTestServer } from "../support/harness.ts";
import { run, sh } from "../support/process.ts";
import { RawWebSocket } from "../support/raw-ws.ts";
import { waitFor } from "../support/wait.ts";

const httpUrl = (ws: string) => `${ws.replace(/^ws/, "http")}/metrics`;

/** The samples of a scrape, `name{labels}` → value. */
function samples(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out[line.slice(0, at)] = Number(line.slice(at + 1));
  }
  return out;
}

test("counts sessions, processes, output, requests and errors", async () => {
  await using server = startTestServer();
  await using client = await server.session();
  const detached = await server.session();
  await detached.close();
  await run(client, sh("printf 12345"));
  await client.call("process/start", sh("sleep 30", { processId: "sleeper" }));
  await expect(client.call("fs/getMetadata", { path: "/nonexistent-path" })).rejects.toThrow();
  await expect(client.call("made/up", {})).rejects.toThrow();
  const response = await fetch(httpUrl(server.url));
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await response.text();
  expect(text).toContain("# TYPE codex_exec_server_requests_total counter");
  expect(samples(text)).toEqual({
    'codex_exec_server_sessions{state="attached"}': 1,
    'codex_exec_server_sessions{state="detached"}': 1,
    codex_exec_server_processes_running: 1,
    codex_exec_server_output_bytes_total: 5,
    'codex_exec_server_requests_total{method="fs/getMetadata"}': 1,
    'codex_exec_server_requests_total{method="initialize"}': 2,
    'codex_exec_server_requests_total{method="other"}': 1,
    'codex_exec_server_requests_total{method="process/start"}': 2,
    'codex_exec_server_request_errors_total{method="fs/getMetadata"}': 1,
    'codex_exec_server_request_errors_total{method="other"}': 1,
    codex_exec_server_notifications_dropped_total: 0,
  });
  await client.call("process/terminate", { processId: "sleeper" });
});

test("counts the output notifications dropped for a reader that stopped reading", async () => {
  // Retention larger than the sockets' buffers: the program is held only once its unread output
  // is past it, by when the send buffer has been behind long enough to drop notifications.
  await using server = startTestServer({
    retainedOutputBytes: 32 * 1024 * 1024,
    limits: { sendBufferBytes: 64 * 1024, slowReaderMs: 50 } as never,
  });
  const reader = await RawWebSocket.connect(server.url);
  try {
    await reader.response(reader.request("initialize", { clientName: "stalled" }));
    reader.notify("initialized", {});
    reader.pause();
    reader.request("process/start", sh("head -c 50000000 /dev/zero", { processId: "flood" }));
    await waitFor(
      async () =>
        samples(await (await fetch(httpUrl(server.url))).text())
          .codex_exec_server_notifications_dropped_total,
      { label: "a dropped notification counted" },
    );
  } finally {
    reader.destroy();
  }
});

test("behind the same token as the websocket", async () => {
  const token = "metrics-token-123456";
  await using server = startTestServer({ tokenSha256: createHash("sha256").update(token).digest() });
  await server.ready;
  expect((await fetch(httpUrl(server.url))).status).toBe(401);
  const wrong = await fetch(httpUrl(server.url), { headers: { Authorization: "Bearer nope" } });
  expect(wrong.status).toBe(401);
  const right = await fetch(httpUrl(server.url), { headers: { Authorization: `Bearer ${token}` } });
  expect(right.status).toBe(200);
  expect(await right.text()).toContain("codex_exec_server_processes_running 0");
});
