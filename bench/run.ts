// `bun run bench [--rounds 3] [--only w1,w2] [--kinds ours,ours-bin,ours-base,reference,ref-0.171]`:
// every workload, alternating the servers round by round, each round on a fresh server, with the
// load generator in its own process. Prints the median of each metric per server, the ratio of ours
// to each reference (and to ours-base, another build of ours: bench/servers.ts), and the limit (the
// same job with no server at all). A workload that fails for a server is reported as failed and
// the run goes on.
import { parseArgs } from "node:util";
import { LeanClient } from "./lean-client.ts";
import { availableKinds, rssBytes, type ServerKind, speaksUris, startBenchServer } from "./servers.ts";
import type { Metrics } from "./workloads.ts";
import { firstCommand, WORKLOADS } from "./workloads.ts";

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
/** "workload|kind" → the unsolicited pongs the load generator sent, per round. */
const pongs = new Map<string, number[]>();
/** "workload|kind" → the first error; the workload's metrics for that kind read "failed". */
const failures = new Map<string, string>();
/** Which workload a metric came from, to mark the servers that failed it. */
const workloadOf = new Map<string, string>();

function record(column: Column, metrics: Metrics, workload: string): void {
  for (const [name, value] of Object.entries(metrics)) {
    workloadOf.set(name, workload);
    const byColumn = samples.get(name) ?? new Map<Column, number[]>();
    samples.set(name, byColumn);
    byColumn.set(column, [...(byColumn.get(column) ?? []), value]);
  }
}

async function runLoadgen(workload: string, url: string, pid: string, dialect = "paths") {
  const child = Bun.spawn([process.execPath, LOADGEN, workload, url, pid, dialect], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${workload} failed (exit ${code}): ${stderr.trim()}`);
  return JSON.parse(stdout) as { metrics: Metrics; loadgenCpuPercent: number; pongs: number };
}

/**
 * Exec → first `initialize` answered: the URL line, then a connection and its `initialize`
 * (work deferred to the first connection counts); then exec → a first `true` closed on it (work
 * deferred past the handshake counts too). Idle RSS is read after that connection closed.
 */
async function startup(kind: ServerKind): Promise<Metrics> {
  const server = await startBenchServer(kind);
  try {
    const connecting = performance.now();
    const client = await LeanClient.connect(server.url);
    const initializeMs = performance.now() - connecting;
    await firstCommand(client, speaksUris(kind));
    const commandMs = performance.now() - connecting;
    client.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    return {
      "startup: exec to URL ms": server.startupMs,
      "startup: URL to initialize answered ms": initializeMs,
      "startup: exec to initialize answered ms": server.startupMs + initializeMs,
      "startup: exec to a first `true` closed ms": server.startupMs + commandMs,
      "idle RSS after one initialize MB": rssBytes(server.pid) / 2 ** 20,
    };
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

for (const workload of workloads) {
  process.stderr.write(`${workload}:`);
  for (let round = 0; round < rounds; round++) {
    // Alternate who goes first, so drift in the machine's load does not favour one side.
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      try {
        if (workload === "startup") {
          record(kind, await startup(kind), workload);
          continue;
        }
        const server = await startBenchServer(kind);
        try {
          const dialect = speaksUris(kind) ? "uris" : "paths";
          const result = await runLoadgen(workload, server.url, String(server.pid), dialect);
          record(kind, result.metrics, workload);
          loadgenCpu.set(kind, [...(loadgenCpu.get(kind) ?? []), result.loadgenCpuPercent]);
          pongs.set(`${workload}|${kind}`, [...(pongs.get(`${workload}|${kind}`) ?? []), result.pongs]);
        } finally {
          await server.stop();
        }
      } catch (error) {
        const key = `${workload}|${kind}`;
        const message = (error as Error).message.split("\n")[0] as string;
        if (!failures.has(key)) failures.set(key, message);
        process.stderr.write(` [${kind} failed: ${message.slice(0, 200)}]`);
      }
    }
    if (workload !== "startup") record("limit", (await runLoadgen(workload, "-", "-")).metrics, workload);
    process.stderr.write(` ${round + 1}`);
  }
  process.stderr.write("\n");
}

const columns: Column[] = [...kinds, "limit"];
const references = kinds.filter(
  (k) => k === "reference" || k === "ref-0.171" || k === "ours-base" || k.startsWith("floor"),
);
const ratioHeads = references.map((r) => `ours/${r}`);
const format = (n: number | undefined) =>
  n === undefined ? "" : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
const lines = [
  `| metric | ${[...columns, ...ratioHeads].join(" | ")} |`,
  `|---|${[...columns, ...ratioHeads].map(() => "---:").join("|")}|`,
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
  const ratios = references.map((r) => {
    const reference = medians[r];
    return ours !== undefined && reference ? `${(ours / reference).toFixed(2)}×` : "";
  });
  const workload = workloadOf.get(name);
  const cell = (c: Column) =>
    medians[c] === undefined && workload && failures.has(`${workload}|${c}`) ? "failed" : format(medians[c]);
  lines.push(`| ${name} | ${[...columns.map(cell), ...ratios].join(" | ")} |`);
}
const cpu = [...loadgenCpu].map(([k, v]) => `${k} ${median(v).toFixed(0)}%`).join(", ");
console.log(`${lines.join("\n")}\n\nrounds: ${rounds}; load generator CPU (median of workloads): ${cpu}`);
console.log("ours/… uses ours-bin when it was measured, else ours (from source).");
const pongLine = [...pongs].map(([key, v]) => `${key.replace("|", " ")} ${median(v)}`).join(", ");
console.log(`unsolicited pongs the load generator sent (median per round): ${pongLine}`);
for (const [key, message] of failures) console.log(`failed: ${key.replace("|", " on ")}: ${message}`);
if (values.json)
  await Bun.write(
    values.json,
    JSON.stringify(
      { date: new Date().toISOString(), rounds, table, failures: Object.fromEntries(failures) },
      null,
      2,
    ),
  );
