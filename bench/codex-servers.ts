// The clients and servers of bench/codex-tasks.ts: which binary each name runs, and starting a
// websocket server (optionally with a capability token) whose every process is killed on stop.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { firstLine } from "./servers.ts";

export const CLIENTS: Record<string, string> = {
  "0.125":
    process.env.CODEX_0125_BIN ?? "/work/ref/0.125/package/vendor/x86_64-unknown-linux-musl/codex/codex",
  "0.171": process.env.CODEX_0171_BIN ?? "/work/ref/0.171/package/vendor/x86_64-unknown-linux-musl/bin/codex",
};

export const SERVERS = ["ours", "ours-bin", "ref-0.125", "ref-0.171"] as const;
export type ServerName = (typeof SERVERS)[number];

/** Which servers take `--ws-auth capability-token --ws-token-file F` (0.125 has only --listen). */
export const hasTokenAuth = (server: ServerName) => server !== "ref-0.125";

/** The argv that runs a server listening on `listen` (`ws://127.0.0.1:0` or `stdio`). */
export function serverArgv(server: ServerName, repo: string, listen: string): string[] {
  const ours = ["--listen", listen, "--log-level", "error"];
  if (server === "ours") return [process.execPath, join(repo, "src/index.ts"), ...ours];
  if (server === "ours-bin") return [join(repo, "dist/codex-exec-server"), ...ours];
  const binary = CLIENTS[server.slice("ref-".length)] as string;
  return [binary, "exec-server", "--listen", listen];
}

export function serverMissing(server: ServerName, repo: string): string | undefined {
  const binary = serverArgv(server, repo, "stdio")[server === "ours" ? 1 : 0] as string;
  return existsSync(binary) ? undefined : `${binary} not found`;
}

/** Every process group this bench started and has not yet seen exit; killed on the way out. */
const live = new Set<Subprocess>();

/** Spawn in its own process group, so stopping it also stops whatever it started. */
export function spawnGroup(argv: string[], options: Parameters<typeof Bun.spawn>[1]): Subprocess {
  const child = Bun.spawn(argv, { ...options, detached: true } as Parameters<typeof Bun.spawn>[1]);
  live.add(child);
  child.exited.then(() => live.delete(child));
  return child;
}

export async function stopGroup(child: Subprocess, graceMs = 3000): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // The group is gone already.
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
  // The leader exited; anything it left in its group goes too.
  signal("SIGKILL");
}

/** Kill every process group still alive and remove every directory still there. */
export function cleanUpAll(): void {
  for (const child of live) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // Exited between the check and the kill.
    }
  }
  for (const dir of dirs) removeDir(dir);
}

export interface RunningServer {
  url: string;
  /** The capability token the server requires, when started with one. */
  token?: string;
  stop(): Promise<void>;
}

/**
 * Where each CODEX_HOME goes. Not under the temp dir: Codex refuses to create its helper aliases
 * (`codex-linux-sandbox`, on PATH for bwrap) under it, and every sandboxed command then fails.
 */
export const HOME_BASE = process.env.CODEX_TASKS_HOME_BASE ?? join(homedir(), ".cache/codex-tasks");

/** Directories made and not yet removed; removed on the way out too (an interrupt, a throw). */
const dirs = new Set<string>();

export function makeDir(base: string, prefix: string): string {
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, prefix));
  dirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export const makeHome = (prefix: string) => makeDir(HOME_BASE, prefix);

export async function startServer(
  server: ServerName,
  repo: string,
  withToken: boolean,
): Promise<RunningServer> {
  const home = makeHome("server-");
  // CODEX_TASKS_SERVER_CONFIG: a config.toml for the server's host (what environmentConfig/read reads).
  const serverConfig = process.env.CODEX_TASKS_SERVER_CONFIG;
  if (serverConfig) writeFileSync(join(home, "config.toml"), readFileSync(serverConfig));
  const argv = serverArgv(server, repo, "ws://127.0.0.1:0");
  let token: string | undefined;
  if (withToken) {
    token = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
    const file = join(home, "token");
    writeFileSync(file, token, { mode: 0o600 });
    argv.push("--ws-auth", "capability-token", "--ws-token-file", file);
  }
  const child = spawnGroup(argv, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
    env: { ...process.env, CODEX_HOME: home, RUST_LOG: "error" },
  });
  try {
    const url = (await firstLine(child.stdout as ReadableStream<Uint8Array>, server)).trim();
    if (!url.startsWith("ws://127.0.0.1:")) throw new Error(`${server} printed ${JSON.stringify(url)}`);
    return {
      url,
      token,
      async stop() {
        await stopGroup(child);
        removeDir(home);
      },
    };
  } catch (error) {
    await stopGroup(child);
    removeDir(home);
    throw error;
  }
}
