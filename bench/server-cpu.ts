// Server CPU per workload: what one run of a bench workload costs a fresh server, from every
// thread's /proc schedstat (nanoseconds on CPU), between the URL line + 300 ms and the workload's
// end. The main thread apart from the others (JIT compilers, GC, Bun's own). Work done, not
// latency: load from the machine's other users blurs it much less than the round trips of
// `bun run bench`. Linux only.
// `bun bench/server-cpu.ts [--only pipe-echo,spawn-throughput] [--kinds ours-bin,ours-base,floor] [--runs 9]`
// (kinds as bench/servers.ts names them; the servers alternate run by run, each round led by the
// next kind).
import { readdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type ServerKind, speaksUris, startBenchServer } from "./servers.ts";
import { WORKLOADS } from "./workloads.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "pipe-echo,spawn-throughput" },
    kinds: { type: "string", default: "ours-bin,floor" },
    runs: { type: "string", default: "9" },
  },
});
const kinds = (values.kinds as string).split(",") as ServerKind[];
const runs = Number(values.runs);

/** Milliseconds on CPU so far: the main thread's and the other threads'. */
function cpuMs(pid: number): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "latin1").split(" ")[0]);
      if (Number(tid) === pid) main += ns / 1e6;
      else other += ns / 1e6;
    } catch {
      // A thread that ended while we looked.
    }
  }
  return { main, other };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

for (const workload of (values.only as string).split(",")) {
  const run = WORKLOADS[workload];
  if (!run) throw new Error(`unknown workload ${workload}; expected one of ${Object.keys(WORKLOADS)}`);
  const samples = new Map<ServerKind, { main: number; other: number }[]>();
  for (let round = 0; round < runs; round++) {
    // Each round starts with the next kind: no kind always runs first or after the same other.
    const shift = round % kinds.length;
    for (const kind of [...kinds.slice(shift), ...kinds.slice(0, shift)]) {
      const server = await startBenchServer(kind);
      try {
        await Bun.sleep(300);
        const before = cpuMs(server.pid);
        await run({ url: server.url, serverPid: server.pid, uris: speaksUris(kind) });
        const after = cpuMs(server.pid);
        const sample = { main: after.main - before.main, other: after.other - before.other };
        samples.set(kind, [...(samples.get(kind) ?? []), sample]);
      } finally {
        await server.stop();
      }
    }
  }
  console.log(`${workload}, server CPU ms per run (median of ${runs}): main thread + other threads = total`);
  const first = median((samples.get(kinds[0] as ServerKind) ?? []).map((s) => s.main + s.other));
  for (const [kind, list] of samples) {
    const total = median(list.map((s) => s.main + s.other));
    const main = median(list.map((s) => s.main));
    const other = median(list.map((s) => s.other));
    const ratio = (total / first).toFixed(2);
    console.log(
      `  ${kind.padEnd(10)} ${main.toFixed(1)} + ${other.toFixed(1)} = ${total.toFixed(1)} (${ratio}×)`,
    );
  }
}
process.exit(0);
