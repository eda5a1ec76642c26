// Start a server under test: ours from source, ours compiled, or the Codex reference. Each prints
// its URL as the first stdout line; the time to that line is the startup time.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type ServerKind = "ours" | "ours-bin" | "reference";

const ROOT = new URL("..", import.meta.url).pathname;
export const OUR_BINARY = join(ROOT, "dist/codex-exec-server");
export const REFERENCE_BINARY =
  process.env.CODEX_REFERENCE_BIN ??
  join(ROOT, "bench/.reference/package/vendor/x86_64-unknown-linux-musl/codex/codex");

export function availableKinds(): ServerKind[] {
  const kinds: ServerKind[] = ["ours"];
  if (existsSync(OUR_BINARY)) kinds.push("ours-bin");
  if (existsSync(REFERENCE_BINARY)) kinds.push("reference");
  return kinds;
}

export interface BenchServer {
  kind: ServerKind;
  url: string;
  pid: number;
  startupMs: number;
  stop(): Promise<void>;
}

/** Read a server's first stdout line (its URL); the time to it is the startup time. */
export async function firstLine(stdout: ReadableStream<Uint8Array>, name: string): Promise<string> {
  const reader = stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${name} exited before printing its URL`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.split("\n")[0] as string;
}

export function rssBytes(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

export async function startBenchServer(kind: ServerKind): Promise<BenchServer> {
  const listen = ["--listen", "ws://127.0.0.1:0"];
  const home = mkdtempSync(join(tmpdir(), "bench-codex-home-"));
  const command =
    kind === "reference"
      ? [REFERENCE_BINARY, "exec-server", ...listen]
      : kind === "ours-bin"
        ? [OUR_BINARY, ...listen, "--log-level", "error"]
        : [process.execPath, join(ROOT, "src/index.ts"), ...listen, "--log-level", "error"];
  const started = performance.now();
  const child = Bun.spawn(command, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
    env: { ...process.env, CODEX_HOME: home, RUST_LOG: "error" },
  });
  const url = await firstLine(child.stdout, kind);
  const startupMs = performance.now() - started;
  return {
    kind,
    url,
    pid: child.pid,
    startupMs,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await child.exited;
      clearTimeout(timer);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
