// What one fs call of the bench's fs workload costs the server (a 1 MiB fs/readFile and
// fs/writeFile; with --ops, also fs/getMetadata of that file and fs/readDirectory of 1000 entries):
// wall time per call and the server process's CPU time per call (utime + stime from /proc, so the
// load generator's own work and the machine's other load do not count), the servers alternating
// round by round, each round on a fresh server, warm (a quarter as many calls first, untimed);
// medians over rounds. --calls is for the 1 MiB calls; getMetadata makes 25 times as many.
// `bun bench/fs-cpu.ts [--kinds ours-bin,reference,floor] [--rounds 5] [--calls 400]
//  [--ops readFile,writeFile,getMetadata,readDirectory]`
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LeanClient } from "./lean-client.ts";
import { type ServerKind, startBenchServer } from "./servers.ts";

const { values } = parseArgs({
  options: {
    kinds: { type: "string", default: "ours-bin,reference" },
    rounds: { type: "string", default: "5" },
    calls: { type: "string", default: "400" },
    ops: { type: "string", default: "readFile,writeFile" },
  },
});
const kinds = values.kinds.split(",") as ServerKind[];
const rounds = Number(values.rounds);
const baseCalls = Number(values.calls);

/** CPU time of a process so far, in ms (clock ticks are 10 ms here: use a few hundred calls). */
function cpuMs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] as string).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const dir = mkdtempSync(join(tmpdir(), "bench-fs-cpu-"));
const data = Buffer.alloc(1 << 20, 7);
writeFileSync(join(dir, "one-mib"), data);
const writeParams = Buffer.from(
  JSON.stringify({ path: join(dir, "w"), dataBase64: data.toString("base64") }),
);
const listing = join(dir, "listing");
mkdirSync(listing);
for (let i = 0; i < 1000; i++) writeFileSync(join(listing, `entry-${i}`), "");
/** Each call, and how many of them a round makes per --calls. */
const ALL_OPS: Record<string, [(client: LeanClient) => Promise<unknown>, number]> = {
  readFile: [(client) => client.call("fs/readFile", { path: join(dir, "one-mib") }), 1],
  writeFile: [(client) => client.call("fs/writeFile", writeParams), 1],
  getMetadata: [(client) => client.call("fs/getMetadata", { path: join(dir, "one-mib") }), 25],
  readDirectory: [(client) => client.call("fs/readDirectory", { path: listing }), 1],
};
const ops = values.ops.split(",").map((op) => {
  const entry = ALL_OPS[op];
  if (!entry) throw new Error(`unknown op ${op}; expected one of ${Object.keys(ALL_OPS).join(", ")}`);
  return [op, ...entry] as const;
});
const samples = new Map<string, { wall: number[]; cpu: number[] }>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
      for (const [op, call, scale] of ops) {
        const server = await startBenchServer(kind);
        const calls = baseCalls * scale;
        try {
          const client = await LeanClient.connect(server.url);
          for (let i = 0; i < calls / 4; i++) await call(client);
          const cpuBefore = cpuMs(server.pid);
          const started = performance.now();
          for (let i = 0; i < calls; i++) await call(client);
          const wall = performance.now() - started;
          const cpu = cpuMs(server.pid) - cpuBefore;
          client.close();
          const key = `${op}|${kind}`;
          const entry = samples.get(key) ?? { wall: [], cpu: [] };
          samples.set(key, entry);
          entry.wall.push((wall / calls) * 1000);
          entry.cpu.push((cpu / calls) * 1000);
        } finally {
          await server.stop();
        }
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log("| call | server | wall µs/call | server CPU µs/call |");
console.log("|---|---|---:|---:|");
for (const [key, { wall, cpu }] of samples) {
  const [op, kind] = key.split("|");
  console.log(`| ${op} | ${kind} | ${median(wall).toFixed(0)} | ${median(cpu).toFixed(0)} |`);
}
