// The heavy half of a server: sessions, processes, filesystem, the connection code and its schemas.
// Loaded after the listener is up, so a server is listening (and says so) within milliseconds.
import { LocalFileSystem } from "../fs/local.ts";
import { DEFAULT_PROCESS_OPTIONS } from "../process/local.ts";
import type { ConnectionServices } from "./connection.ts";
import { FsHandler } from "./fs-handler.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { DEFAULT_SERVER_OPTIONS, type ServerOverrides } from "./server-options.ts";
import { SessionRegistry } from "./sessions.ts";

export { ServerConnection } from "./connection.ts";

/** What every connection shares, whatever its transport (local websocket or cloud rendezvous). */
export function createServices(options: ServerOverrides = {}): ConnectionServices {
  const settings = { ...DEFAULT_SERVER_OPTIONS, ...options };
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  return {
    sessions: new SessionRegistry({
      ttlMs: settings.sessionTtlMs,
      maxSessions: limits.maxSessions,
      sweepIntervalMs: settings.sweepIntervalMs,
      now: settings.now,
      process: {
        retainedOutputBytes: settings.retainedOutputBytes,
        closedRetentionMs: settings.closedRetentionMs ?? DEFAULT_PROCESS_OPTIONS.closedRetentionMs,
        maxProcesses: limits.maxProcessesPerSession,
      },
    }),
    fs: new FsHandler(new LocalFileSystem()),
    limits,
  };
}
