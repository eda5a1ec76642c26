// `bun bench/cgroup-cost.ts [--n 3000]`: what a program's cgroup costs the server per spawn (Linux,
// where the host lets us make groups): ProgramCgroups (a spare group reused, the way home through
// a kept descriptor) against the obvious way (mkdir, step in, step out, rmdir for every program).
// The spawn itself is left out: `spawn` is a no-op here, so only the cgroup work is timed. Last,
// the same after pauses, as programs that do not follow each other closely are started.
import { mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ownCgroupDirectory, ProgramCgroups } from "../src/process/cgroup.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "3000" } } });
const n = Number(values.n);
const groups = ProgramCgroups.open();
const home = ownCgroupDirectory();
if (!groups || !home) {
  console.error("this host lets us make no cgroup v2 groups");
  process.exit(1);
}

function timed(run: () => void): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) run();
  return ((performance.now() - start) / n) * 1000;
}

const pid = String(process.pid);
const base = `${groups.basePath}/obvious`;
mkdirSync(base);
let next = 0;
const rows: [string, number][] = [];
for (let round = 0; round < 3; round++) {
  rows.push([
    "ProgramCgroups: spawnInto + settle",
    timed(() => groups.spawnInto(() => undefined).group?.settle()),
  ]);
  rows.push([
    "obvious: mkdir, in, out, rmdir",
    timed(() => {
      const path = `${base}/${next++}`;
      mkdirSync(path);
      writeFileSync(`${path}/cgroup.procs`, pid);
      writeFileSync(`${home}/cgroup.procs`, pid);
      rmdirSync(path);
    }),
  ]);
}
// A program that does not follow another closely: the kernel's rwsem for migrations has gone
// back to its reader-favouring state, and the first move waits for a grace period.
const paused: number[] = [];
for (let i = 0; i < 5; i++) {
  await Bun.sleep(200);
  const start = performance.now();
  groups.spawnInto(() => undefined).group?.settle();
  paused.push((performance.now() - start) * 1000);
}
rmdirSync(base);
groups.dispose();
for (const [name, us] of rows) console.log(`${name.padEnd(40)} ${us.toFixed(1)} µs per program`);
console.log(`${"after a 200 ms pause, each".padEnd(40)} ${paused.map((us) => us.toFixed(0)).join(", ")} µs`);
