// `bun run bench [--rounds 3] [--only w1,w2] [--kinds ours,ours-bin,reference]`: every workload,
// alternating the servers round by round, each round on a fresh server, with the load generator in
// its own process. Prints the median of each metric per server, the ratio ours/reference, and the
// limit (the same job with no server at all).
import { parseArgs } from "node:util";
import { availableKinds, rssBytes, type ServerKind, startBenchServer } from "./servers.ts";
import type { Metrics } from "./workloads.ts";
import { WORKLOADS } from "./workloads.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
    kinds: { type: "string" },
    json: { type: "string" },
  },
});
const rounds = Number(values.rounds);
const kinds = (values.kinds?.split(",") as ServerKind[] | undefined) ?? availableKinds();
const workloads = values.only?.split(",") ?? [...Object.keys(WORKLOADS), "startup"];
const LOADGEN = new URL("./loadgen.ts", import.meta.url).pathname;

type Column = ServerKind | "limit";
const samples = new Map<string, Map<Column, number[]>>();
const loadgenCpu = new Map<Column, number[]>();

function record(column: Column, metrics: Metrics): void {
  for (const [name, value] of Object.entries(metrics)) {
    const byColumn = samples.get(name) ?? new Map<Column, number[]>();
    samples.set(name, byColumn);
    byColumn.set(column, [...(byColumn.get(column) ?? []), value]);
  }
}

async function runLoadgen(workload: string, url: string, pid: string) {
  const child = Bun.spawn([process.execPath, LOADGEN, workload, url, pid], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${workload} failed (exit ${code}): ${stderr.trim()}`);
  return JSON.parse(stdout) as { metrics: Metrics; loadgenCpuPercent: number };
}

async function startup(kind: ServerKind): Promise<Metrics> {
  const server = await startBenchServer(kind);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = rssBytes(server.pid);
  await server.stop();
  return { "startup to URL ms": server.startupMs, "idle RSS MB": idle / 2 ** 20 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

for (const workload of workloads) {
  process.stderr.write(`${workload}:`);
  for (let round = 0; round < rounds; round++) {
    // Alternate who goes first, so drift in the machine's load does not favour one side.
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      if (workload === "startup") {
        record(kind, await startup(kind));
        continue;
      }
      const server = await startBenchServer(kind);
      try {
        const result = await runLoadgen(workload, server.url, String(server.pid)).catch((error) => {
          throw new Error(`${kind}: ${(error as Error).message}`);
        });
        record(kind, result.metrics);
        loadgenCpu.set(kind, [...(loadgenCpu.get(kind) ?? []), result.loadgenCpuPercent]);
      } finally {
        await server.stop();
      }
    }
    if (workload !== "startup") record("limit", (await runLoadgen(workload, "-", "-")).metrics);
    process.stderr.write(` ${round + 1}`);
  }
  process.stderr.write("\n");
}

const columns: Column[] = [...kinds, "limit"];
const format = (n: number | undefined) =>
  n === undefined ? "" : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
const lines = [
  `| metric | ${columns.join(" | ")} | ours/reference |`,
  `|---|${columns.map(() => "---:").join("|")}|---:|`,
];
const table: Record<string, Record<string, number>> = {};
for (const [name, byColumn] of samples) {
  const medians = Object.fromEntries(
    columns.map((c) => [c, byColumn.get(c) ? median(byColumn.get(c) as number[]) : undefined]),
  );
  table[name] = Object.fromEntries(Object.entries(medians).filter(([, v]) => v !== undefined)) as Record<
    string,
    number
  >;
  const ours = medians["ours-bin"] ?? medians.ours;
  const reference = medians.reference;
  const ratio = ours !== undefined && reference ? `${(ours / reference).toFixed(2)}×` : "";
  lines.push(`| ${name} | ${columns.map((c) => format(medians[c])).join(" | ")} | ${ratio} |`);
}
const cpu = [...loadgenCpu].map(([k, v]) => `${k} ${median(v).toFixed(0)}%`).join(", ");
console.log(`${lines.join("\n")}\n\nrounds: ${rounds}; load generator CPU (median of workloads): ${cpu}`);
console.log("ours/reference uses ours-bin when it was measured, else ours (from source).");
if (values.json)
  await Bun.write(values.json, JSON.stringify({ date: new Date().toISOString(), rounds, table }, null, 2));
