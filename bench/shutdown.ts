// `bun bench/shutdown.ts [--n 1500]`: how long a session's shutdown takes once it has run many
// short programs (closed, still readable): every family is looked for in one view of the process
// table, and a closed one with nothing left is not looked for again.
import { parseArgs } from "node:util";
import { setLogLevel } from "../src/log.ts";
import { LocalProcess } from "../src/process/local.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "1500" } } });
const n = Number(values.n);
setLogLevel("error");
const table = new LocalProcess({ maxProcesses: n + 1 });
const closed: Promise<unknown>[] = [];
for (let i = 0; i < n; i++) closed.push((await table.start({ argv: ["true"] })).closed);
await Promise.all(closed);
const start = performance.now();
table.shutdown();
console.log(`shutdown of a session with ${n} closed processes: ${(performance.now() - start).toFixed(0)} ms`);
