// What a sandbox adds to a command's start-to-close time, ours against the 0.171 reference.
// `bun bench/sandbox-start.ts [--server ours|<path to a codex binary>] [--runs 30]`
// Each run is one process/start of `true` (pipes) in a workspace, waited on until process/closed,
// first without a sandbox, then with the context a 0.171 client sends in workspace-write.
// Prints the median and p90 of each. Never run in CI.
import { mkdtempSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { workspaceSandbox } from "../test/support/sandbox.ts";
import { firstLine } from "./servers.ts";

const { values } = parseArgs({
  options: { server: { type: "string", default: "ours" }, runs: { type: "string", default: "30" } },
});
const ROOT = new URL("..", import.meta.url).pathname;
const isOurs = values.server === "ours";
// The reference refuses its helper links under /tmp: everything lives under $HOME.
const home = mkdtempSync(join(homedir(), ".sandbox-start-home-"));
const work = mkdtempSync(join(homedir(), ".sandbox-start-work-"));
const command = isOurs
  ? [process.execPath, join(ROOT, "src/index.ts"), "--listen", "ws://127.0.0.1:0", "--log-level", "error"]
  : [values.server as string, "exec-server", "--listen", "ws://127.0.0.1:0"];
const child = Bun.spawn(command, {
  stdout: "pipe",
  stderr: "ignore",
  env: { ...process.env, CODEX_HOME: home, RUST_LOG: "error" },
});
const ws = new WebSocket(await firstLine(child.stdout, "server"), { perMessageDeflate: false } as never);
await new Promise((resolve) => ws.addEventListener("open", resolve, { once: true }));
let nextId = 0;
const replies = new Map<number, (message: unknown) => void>();
const closed = new Map<string, () => void>();
ws.addEventListener("message", (event) => {
  const message = JSON.parse(String(event.data));
  if (message.id !== undefined) replies.get(message.id)?.(message);
  if (message.method === "process/closed") closed.get(message.params.processId)?.();
});
const call = (method: string, params: unknown) =>
  new Promise<{ error?: unknown }>((resolve) => {
    const id = ++nextId;
    replies.set(id, resolve as never);
    ws.send(JSON.stringify({ id, method, params }));
  });
await call("initialize", { clientName: "bench" });
ws.send(JSON.stringify({ method: "initialized", params: {} }));

const path = (p: string) => (isOurs ? p : `file://${p}`);
const sandbox = workspaceSandbox(work, { withoutTmp: false });
async function once(n: number, isSandboxed: boolean): Promise<number> {
  const processId = `b${n}-${isSandboxed}`;
  const done = new Promise<void>((resolve) => closed.set(processId, resolve));
  const started = performance.now();
  const reply = await call("process/start", {
    processId,
    argv: ["/bin/true"],
    cwd: path(work),
    env: { PATH: "/usr/bin:/bin" },
    tty: false,
    sandbox: isSandboxed ? sandbox : null,
  });
  if (reply.error) throw new Error(JSON.stringify(reply.error));
  await done;
  return performance.now() - started;
}
const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(1);
  return `median ${at(0.5)} ms, p90 ${at(0.9)} ms`;
};
try {
  const runs = Number(values.runs);
  for (const isSandboxed of [false, true]) {
    await once(0, isSandboxed); // warm-up
    const samples: number[] = [];
    for (let i = 1; i <= runs; i++) samples.push(await once(i, isSandboxed));
    console.log(
      `${values.server} ${isSandboxed ? "sandboxed" : "unsandboxed"}: ${stats(samples)} (${runs} runs)`,
    );
  }
} finally {
  ws.close();
  child.kill();
  await child.exited;
  for (const dir of [home, work]) rmSync(dir, { recursive: true, force: true });
}
