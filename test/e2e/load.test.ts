// Guards behaviour under load (hardening §5): 500 concurrent connections, each running short
// processes and reading their output: every byte delivered, every exit seen, RSS bounded.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { TestClient } from "../support/client.ts";
import { startCli } from "../support/harness.ts";
import { read, sh } from "../support/process.ts";

const CONNECTIONS = 500;
const PROCESSES_EACH = 2;

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
}

test(`${CONNECTIONS} concurrent connections running processes`, async () => {
  await using server = await startCli(["--log-level", "error"]);
  const idleRss = rssBytes(server.process.pid);
  let peak = idleRss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(server.process.pid));
  }, 20);
  const started = performance.now();
  try {
    const clients = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => TestClient.session(server.url)),
    );
    await Promise.all(
      clients.map(async (client, c) => {
        for (let p = 0; p < PROCESSES_EACH; p++) {
          const params = sh(`echo conn-${c}-proc-${p}; printf '%0500d' 0 >&2; exit ${(c + p) % 7}`);
          await client.call("process/start", params);
          await client.waitForClosed(params.processId, 60_000);
          expect(client.outputOf(params.processId, "stdout").toString()).toBe(`conn-${c}-proc-${p}\n`);
          expect(client.outputOf(params.processId, "stderr").toString()).toBe("0".repeat(500));
          const result = await read(client, { processId: params.processId, afterSeq: 0 });
          expect(result).toMatchObject({ exited: true, exitCode: (c + p) % 7, closed: true });
        }
      }),
    );
    await Promise.all(clients.map((client) => client.close()));
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `load: ${CONNECTIONS} connections × ${PROCESSES_EACH} processes in ${seconds.toFixed(1)} s; ` +
      `server RSS idle ${(idleRss / 2 ** 20).toFixed(1)} MiB, peak ${(peak / 2 ** 20).toFixed(1)} MiB`,
  );
  expect(peak).toBeLessThan(400 * 1024 * 1024);
  expect(await server.stop()).toBe(0);
}, 120_000);
