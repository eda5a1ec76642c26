// Start a server under test: ours from source, ours compiled, a Codex reference (0.125, or 0.171
// with its file:// URI dialect), or the floor (bench/floor-server.ts: bare Bun doing only the
// output workloads' work; asked for by name, never run by default). Each prints its URL as the first stdout line; the time to that
// line is the startup time.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const KINDS = [
  "ours",
  "ours-bin",
  "ours-base",
  "floor",
  "floor-bin",
  "floor-libs-bin",
  "reference",
  "ref-0.171",
] as const;
export type ServerKind = (typeof KINDS)[number];

const ROOT = new URL("..", import.meta.url).pathname;
export const OUR_BINARY = join(ROOT, "dist/codex-exec-server");
const FETCHED_REFERENCE = join(ROOT, "bench/.reference/package/vendor/x86_64-unknown-linux-musl/codex/codex");
/** Codex 0.125: `bun run bench:fetch-reference`, else where this machine keeps it. */
export const REFERENCE_BINARY =
  process.env.CODEX_REFERENCE_BIN ??
  (existsSync(FETCHED_REFERENCE)
    ? FETCHED_REFERENCE
    : "/work/ref/0.125/package/vendor/x86_64-unknown-linux-musl/codex/codex");
/**
 * Another build of ours to compare against (`bun build.ts --outdir DIR` from a checkout of main):
 * BENCH_BASE_BIN=DIR/codex-exec-server and `--kinds ours-bin,ours-base` alternates the two.
 */
export const BASE_BINARY = process.env.BENCH_BASE_BIN;
/** Codex 0.171 (the same variable as bench/codex-servers.ts reads). */
export const REFERENCE_0171_BINARY =
  process.env.CODEX_0171_BIN ?? "/work/ref/0.171/package/vendor/x86_64-unknown-linux-musl/bin/codex";

export function availableKinds(): ServerKind[] {
  const kinds: ServerKind[] = ["ours"];
  if (existsSync(OUR_BINARY)) kinds.push("ours-bin");
  if (BASE_BINARY && existsSync(BASE_BINARY)) kinds.push("ours-base");
  if (existsSync(REFERENCE_BINARY)) kinds.push("reference");
  if (existsSync(REFERENCE_0171_BINARY)) kinds.push("ref-0.171");
  return kinds;
}

/** Whether a server takes only file:// URIs for paths (and a writeId on process/write): 0.169+. */
export const speaksUris = (kind: ServerKind) => kind === "ref-0.171";

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

function statusBytes(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

export const rssBytes = (pid: number) => statusBytes(pid, "VmRSS");
/** The peak resident set over the process's life so far (the kernel's high-water mark). */
export const peakRssBytes = (pid: number) => statusBytes(pid, "VmHWM");

/**
 * `floor-bin`: the floor compiled as ours is (build.ts), for start-up, where `bun floor-server.ts`
 * pays a transpile our binary does not; `floor-libs-bin`: the same with the stack's libraries
 * loaded first (bench/floor-libs.ts). Built once per bench run, into a directory removed at exit.
 */
const floorBuilds = new Map<string, Promise<string>>();
function floorBinary(kind: "floor-bin" | "floor-libs-bin"): Promise<string> {
  let build = floorBuilds.get(kind);
  if (!build) {
    const dir = mkdtempSync(join(tmpdir(), "bench-floor-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const outfile = join(dir, kind);
    const entry = kind === "floor-bin" ? "bench/floor-server.ts" : "bench/floor-libs.ts";
    build = import("../build.ts")
      .then(({ compile }) => compile({ outfile, entrypoint: join(ROOT, entry) }))
      .then(() => outfile);
    floorBuilds.set(kind, build);
  }
  return build;
}

function ourBaseBinary(): string {
  if (!BASE_BINARY) throw new Error("ours-base needs BENCH_BASE_BIN (another build of ours)");
  return BASE_BINARY;
}

export async function startBenchServer(kind: ServerKind): Promise<BenchServer> {
  if (!KINDS.includes(kind))
    throw new Error(`unknown server kind ${kind}; expected one of ${KINDS.join(", ")}`);
  const listen = ["--listen", "ws://127.0.0.1:0"];
  const home = mkdtempSync(join(tmpdir(), "bench-codex-home-"));
  const command =
    kind === "reference" || kind === "ref-0.171"
      ? [kind === "reference" ? REFERENCE_BINARY : REFERENCE_0171_BINARY, "exec-server", ...listen]
      : kind === "ours-bin" || kind === "ours-base"
        ? [kind === "ours-bin" ? OUR_BINARY : ourBaseBinary(), ...listen, "--log-level", "error"]
        : kind === "floor"
          ? [process.execPath, join(ROOT, "bench/floor-server.ts")]
          : kind === "floor-bin" || kind === "floor-libs-bin"
            ? [await floorBinary(kind)]
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
