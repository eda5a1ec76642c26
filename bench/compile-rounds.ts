// Which echo round trips of a fresh server are slow, and which of the server's JIT compilations
// finished in each: the server runs with JavaScriptCore's compile reports on (one stderr line per
// baseline, DFG or FTL compilation, written when it finishes) into a file whose size is read after
// every round, so each report falls in the round it finished in. The bench's echo workload, one
// server per pass, its rounds 20–299 (the table's window) and 300–599 summed up, with the server's
// main-thread CPU a round (its schedstat, read after every round); `--verbose` prints each slow
// round and each round with a compilation.
// `bun bench/compile-rounds.ts [--kinds ours-bin,floor] [--passes 3] [--rounds 600|3000] [--tty]
//   [--slow-us 350] [--verbose]`
import { fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LeanClient, startParams } from "./lean-client.ts";
import { firstLine, OUR_BINARY } from "./servers.ts";

const { values } = parseArgs({
  options: {
    kinds: { type: "string", default: "ours-bin,floor" },
    passes: { type: "string", default: "3" },
    tty: { type: "boolean", default: false },
    "slow-us": { type: "string", default: "350" },
    verbose: { type: "boolean", default: false },
    rounds: { type: "string", default: "600" },
  },
});
const ROOT = join(import.meta.dir, "..");
const OURS_FLAGS = ["--listen", "ws://127.0.0.1:0", "--log-level", "error"];
const COMMANDS: Record<string, string[]> = {
  "ours-bin": [OUR_BINARY, ...OURS_FLAGS],
  ours: [process.execPath, join(ROOT, "src/index.ts"), ...OURS_FLAGS],
  floor: [process.execPath, join(ROOT, "bench/floor-server.ts")],
};
const ROUNDS = Number(values.rounds);
/**
 * The bench's echo windows (bench/workloads.ts), a fresh server's rounds and the same server's
 * later ones, then (given `--rounds 3000`) rounds 2000–2999, where ours has long stopped compiling.
 */
const WINDOWS = (
  [
    [20, 300],
    [300, 600],
    [2000, 3000],
  ] as const
).filter(([, to]) => to <= ROUNDS);
const slowUs = Number(values["slow-us"]);
const REPORTS = {
  BUN_JSC_reportBaselineCompileTimes: "1",
  BUN_JSC_reportDFGCompileTimes: "1",
  BUN_JSC_reportFTLCompileTimes: "1",
};

interface Round {
  us: number;
  /** The compile reports that finished during this round. */
  reports: string[];
  /** The server's main-thread CPU time so far, ns (its schedstat), read after the round. */
  cpuNs: number;
}

const mainThreadNs = (pid: number) =>
  Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[0]);

async function pass(kind: string, dir: string, n: number): Promise<Round[]> {
  const command = COMMANDS[kind];
  if (!command) throw new Error(`unknown kind ${kind}; expected one of ${Object.keys(COMMANDS).join(", ")}`);
  const log = join(dir, `${kind}-${n}.log`);
  const fd = openSync(log, "w");
  const child = Bun.spawn(command, {
    stdout: "pipe",
    stderr: fd,
    env: { ...process.env, CODEX_HOME: dir, ...REPORTS },
  });
  try {
    const client = await LeanClient.connect(await firstLine(child.stdout, kind));
    const processId = `c${n}`;
    const watch = client.watch(processId);
    let arrived: (() => void) | null = null;
    client.onOutput((id) => {
      if (id === processId) arrived?.();
    });
    await client.call(
      "process/start",
      startParams(processId, ["cat"], { cwd: "/tmp", tty: values.tty, pipeStdin: true }),
    );
    const chunk = Buffer.from("x\n").toString("base64");
    const times: number[] = [];
    const cpu: number[] = [];
    const ends: number[] = [fstatSync(fd).size];
    for (let i = 0; i < ROUNDS; i++) {
      const { promise, resolve } = Promise.withResolvers<void>();
      arrived = resolve;
      const started = performance.now();
      await Promise.all([client.call("process/write", { processId, chunk }), promise]);
      times.push((performance.now() - started) * 1000);
      ends.push(fstatSync(fd).size);
      cpu.push(mainThreadNs(child.pid));
      if (values.tty) await Bun.sleep(1);
    }
    await client.call("process/terminate", { processId });
    await watch.closed;
    client.close();
    const text = readFileSync(log, "utf8");
    return times.map((us, i) => ({
      us,
      cpuNs: cpu[i] as number,
      reports: text
        .slice(ends[i], ends[i + 1])
        .split("\n")
        .filter((line) => line.startsWith("Optimized ")),
    }));
  } finally {
    child.kill();
    await child.exited;
  }
}

const tier = (line: string) => / with (Baseline|DFG|FTL) /.exec(line)?.[1] ?? "?";
const compileMs = (line: string) => Number(/ in ([0-9.]+) ms/.exec(line)?.[1] ?? 0);
/** `name#hash tier ms`, from `Optimized name#hash:[…] using … with TIER into … in MS ms.` */
const describe = (line: string) =>
  `${/^Optimized ([^:]*)/.exec(line)?.[1] ?? "?"} ${tier(line)} ${compileMs(line).toFixed(2)} ms`;

function summary(rounds: Round[], from: number, to: number): string {
  const window = rounds.slice(from, to);
  const slow = window.filter((r) => r.us > slowUs);
  const sorted = window.map((r) => r.us).sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.floor(sorted.length * q)] as number);
  const reports = window.flatMap((r) => r.reports);
  const counts: Record<string, number> = { Baseline: 0, DFG: 0, FTL: 0 };
  for (const line of reports) counts[tier(line)] = (counts[tier(line)] ?? 0) + 1;
  const ms = reports.reduce((sum, line) => sum + compileMs(line), 0);
  const cpuUs = ((rounds[to - 1] as Round).cpuNs - (rounds[from - 1] as Round).cpuNs) / (to - from) / 1000;
  return (
    `rounds ${from}–${to - 1} median ${at(0.5)} µs, p99 ${at(0.99)} µs, server main-thread CPU ` +
    `${cpuUs.toFixed(1)} µs a round; over ${slowUs} µs: ${slow.length} ` +
    `(${slow.filter((r) => r.reports.length > 0).length} with a compilation finishing); compilations ` +
    `finishing: ${counts.Baseline} baseline, ${counts.DFG} DFG, ${counts.FTL} FTL, ${ms.toFixed(1)} ms`
  );
}

const dir = mkdtempSync(join(tmpdir(), "bench-compile-rounds-"));
try {
  const kinds = (values.kinds as string).split(",");
  for (let n = 0; n < Number(values.passes); n++) {
    for (const kind of kinds) {
      const rounds = await pass(kind, dir, n);
      for (const [from, to] of WINDOWS) console.log(`${kind} pass ${n + 1}: ${summary(rounds, from, to)}`);
      if (values.verbose)
        rounds.forEach((r, i) => {
          if (r.us > slowUs || r.reports.length > 0)
            console.log(
              `  round ${i}: ${Math.round(r.us)} µs, ${r.reports.map(describe).join(", ") || "no compilation"}`,
            );
        });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
