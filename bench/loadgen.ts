// The load generator: a separate process, so the server under test and the client never share a
// CPU budget unknowingly. Runs one workload and prints its metrics (and its own CPU) as JSON.
import { ackPongs } from "./raw-socket.ts";
import * as workloads from "./workloads.ts";

const { WORKLOADS } = workloads;

const [workload, url, pid, dialect] = process.argv.slice(2);
const run = WORKLOADS[workload ?? ""];
if (!run) {
  console.error(`unknown workload ${workload}; expected one of ${Object.keys(WORKLOADS).join(", ")}`);
  process.exit(2);
}
const cpuBefore = process.cpuUsage();
const started = performance.now();
const metrics: Record<string, number> = await run({
  url: url && url !== "-" ? url : null,
  serverPid: pid && pid !== "-" ? Number(pid) : null,
  uris: dialect === "uris",
});
if (workloads.lostNotifications > 0) metrics["notifications lost"] = workloads.lostNotifications;
const cpu = process.cpuUsage(cpuBefore);
const wallMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ metrics, loadgenCpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100, pongs: ackPongs.sent })}\n`,
);
process.exit(0);
