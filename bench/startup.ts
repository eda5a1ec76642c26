// Startup time of the compiled server: the time from exec to the first `initialize` answered (the
// URL line read, a websocket opened, the handshake's answer received), median of `--runs` starts
// (default 20), for each combination of minify and bytecode, and for `--binary PATH` (repeatable:
// another build to compare, e.g. an older commit's). Decides build.ts's defaults.
// `bun bench/startup.ts [--runs N] [--binary PATH]...`
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compile } from "../build.ts";
import { firstLine } from "./servers.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "20" }, binary: { type: "string", multiple: true } },
});
const runs = Number(values.runs);

async function timeToUrl(binary: string): Promise<number> {
  const started = performance.now();
  const child = Bun.spawn([binary, "--listen", "ws://127.0.0.1:0"], { stdout: "pipe", stderr: "ignore" });
  const url = await firstLine(child.stdout, binary);
  const ws = new WebSocket(url, { perMessageDeflate: false } as never);
  const answered = new Promise<void>((resolve, reject) => {
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: "initialize", params: { clientName: "b" } }));
    ws.onmessage = () => resolve();
    ws.onerror = () => reject(new Error(`${binary}: no initialize answer`));
  });
  await answered;
  ws.close();
  const elapsed = performance.now() - started;
  child.kill("SIGTERM");
  await child.exited;
  return elapsed;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const dir = await mkdtemp(join(tmpdir(), "codex-exec-server-bench-"));
try {
  const variants = [
    { name: "plain", minify: false, bytecode: false },
    { name: "minify", minify: true, bytecode: false },
    { name: "bytecode", minify: false, bytecode: true },
    { name: "minify+bytecode", minify: true, bytecode: true },
  ].map((v) => ({ ...v, outfile: join(dir, v.name), times: [] as number[] }));
  for (const v of variants) await compile(v);
  for (const path of values.binary ?? []) {
    variants.push({ name: path, minify: true, bytecode: true, outfile: path, times: [] });
  }
  for (const v of variants) await timeToUrl(v.outfile); // warm the page cache
  // Interleaved, so that a noisy moment on the machine hurts every variant alike.
  for (let i = 0; i < runs; i++) for (const v of variants) v.times.push(await timeToUrl(v.outfile));
  console.log(`variant            median ms   min ms   size MB   (${runs} runs each)`);
  for (const v of variants) {
    const size = Bun.file(v.outfile).size / 1e6;
    console.log(
      `${v.name.padEnd(18)} ${median(v.times).toFixed(1).padStart(9)} ${Math.min(...v.times)
        .toFixed(1)
        .padStart(8)} ${size.toFixed(1).padStart(9)}`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
