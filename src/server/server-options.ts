// What a server is configured with. Light on purpose: the CLI reads it before anything heavy loads.
import type { AdmissionOptions } from "./admission.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";

export interface ServerOptions extends AdmissionOptions {
  host: string;
  port: number;
  /** Serve one connection on stdin and stdout instead of listening (`--listen stdio`). */
  stdio: boolean;
  sessionTtlMs: number;
  retainedOutputBytes: number;
  limits: Limits;
  /** Ping idle connections this often; one silent for twice as long is closed (0: never). */
  keepaliveMs: number;
  /** Become a child subreaper and reap orphans (Linux; the CLI turns it on: it is process-wide). */
  reapOrphans: boolean;
  /**
   * With reapOrphans, a cgroup v2 group per program where the host lets the server make one:
   * "on"; "auto" only where moving between groups is cheap (cgroup.ts); "off".
   */
  programCgroups: "auto" | "on" | "off";
  /** How long a closed process stays readable (30 s, shorter in tests). */
  closedRetentionMs?: number;
  /** How long a held program waits for a process/read before notified output counts as read (default: the slow-reader time; at most 1 s before its first read). */
  readPatienceMs?: number;
  /** The same for a program never read (default: 1 s, or readPatienceMs when that is shorter). */
  firstReadPatienceMs?: number;
  /** How often detached sessions are checked for expiry (default: a quarter of the TTL, ≤ 1 s). */
  sweepIntervalMs?: number;
  /** The clock session deadlines are measured on (tests inject one). */
  now?: () => number;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: "127.0.0.1",
  port: 0,
  stdio: false,
  sessionTtlMs: 30_000,
  retainedOutputBytes: 1024 * 1024,
  limits: DEFAULT_LIMITS,
  keepaliveMs: 30_000,
  reapOrphans: false,
  programCgroups: "off",
  allowedOrigins: [],
  tokenSha256: null,
};

/** Options as callers give them: any subset, limits included. */
export type ServerOverrides = Partial<Omit<ServerOptions, "limits">> & { limits?: Partial<Limits> };
