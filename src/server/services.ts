// The heavy half of a server: sessions, processes, filesystem, the connection code and its schemas.
// Loaded after the listener is up, so a server is listening (and says so) within milliseconds.
import { LocalEnvironmentConfig } from "../config/local.ts";
import { LocalFileSystem } from "../fs/local.ts";
import { LocalHttpClient } from "../http/local.ts";
import { LocalHostInfo } from "../info/local.ts";
import { logger } from "../log.ts";
import { ProgramCgroups } from "../process/cgroup.ts";
import { listProcesses } from "../process/family.ts";
import { DEFAULT_PROCESS_OPTIONS } from "../process/local.ts";
import { OrphanReaper } from "../process/reaper.ts";
import { isSpawnedChild, useProgramCgroups } from "../process/spawn.ts";
import { ConfigHandler } from "./config-handler.ts";
import type { ConnectionServices } from "./connection.ts";
import { FsHandler } from "./fs-handler.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { Metrics } from "./metrics.ts";
import { DEFAULT_SERVER_OPTIONS, type ServerOptions, type ServerOverrides } from "./server-options.ts";
import { SessionRegistry } from "./sessions.ts";

export { ServerConnection } from "./connection.ts";

/** What every connection shares, whatever its transport (local websocket or cloud rendezvous). */
export function createServices(options: ServerOverrides = {}): ConnectionServices {
  const settings = { ...DEFAULT_SERVER_OPTIONS, ...options };
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const metrics = new Metrics();
  return {
    metrics,
    sessions: new SessionRegistry({
      metrics,
      ttlMs: settings.sessionTtlMs,
      maxSessions: limits.maxSessions,
      sweepIntervalMs: settings.sweepIntervalMs,
      now: settings.now,
      process: {
        retainedOutputBytes: settings.retainedOutputBytes,
        closedRetentionMs: settings.closedRetentionMs ?? DEFAULT_PROCESS_OPTIONS.closedRetentionMs,
        maxProcesses: limits.maxProcessesPerSession,
        closedRetainedBytes: DEFAULT_PROCESS_OPTIONS.closedRetainedBytes,
        // A held program whose reader stops is waited for as long as a stalled socket (output-hold.ts).
        readPatienceMs: settings.readPatienceMs ?? limits.slowReaderMs,
        firstReadPatienceMs:
          settings.firstReadPatienceMs ??
          Math.min(
            settings.readPatienceMs ?? limits.slowReaderMs,
            DEFAULT_PROCESS_OPTIONS.firstReadPatienceMs,
          ),
      },
    }),
    fs: new FsHandler(new LocalFileSystem({ maxReadFileBytes: limits.maxReadFileBytes })),
    http: new LocalHttpClient(),
    config: new ConfigHandler(new LocalEnvironmentConfig()),
    host: new LocalHostInfo(),
    limits,
  };
}

/**
 * What the server does process-wide so that nothing a program starts outlives it: it becomes the
 * orphans' subreaper, and gives each program a cgroup where the host lets it (cgroup.ts).
 */
export interface Containment {
  reaper: OrphanReaper;
  cgroups: ProgramCgroups | null;
}

const log = logger("process");

/** Containment, when asked for (it is process-wide: the CLI asks, in-process servers do not). */
export function startContainment(
  options: Pick<ServerOptions, "reapOrphans" | "programCgroups">,
): Containment | null {
  if (!options.reapOrphans) return null;
  const reaper = new OrphanReaper(isSpawnedChild);
  reaper.start(1000);
  const cgroups = options.programCgroups === "off" ? null : ProgramCgroups.open(options.programCgroups);
  useProgramCgroups(cgroups);
  log.debug("process families", cgroups ? { cgroup: cgroups.basePath } : { by: "process tree" });
  return { reaper, cgroups };
}

/**
 * After the sessions' kills: kill what is left in the programs' cgroups and what was orphaned to
 * us, wait for all of it to die, reap it, and remove the cgroups.
 */
export async function finishShutdown(killed: number[], containment: Containment | null): Promise<void> {
  const escaped = [...(containment?.cgroups?.close() ?? []), ...(containment?.reaper.killAdopted() ?? [])];
  await waitUntilGone([...killed, ...escaped], 3000);
  containment?.reaper.reap();
  containment?.reaper.stop();
  containment?.cgroups?.dispose();
  if (containment?.cgroups) useProgramCgroups(null);
}

/**
 * Wait (bounded) until killed processes have really died, and our own children among them have
 * been reaped (Bun reaps them, then forgets the pid): exiting first would leave them as zombies
 * under an init that may never reap them.
 */
async function waitUntilGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const wanted = new Set(pids);
  while (wanted.size > 0 && performance.now() < deadline) {
    const running = listProcesses().filter((p) => wanted.has(p.pid) && p.state !== "Z");
    if (running.length === 0 && !pids.some(isSpawnedChild)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
