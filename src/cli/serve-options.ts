// The server command's flags: their table (help and parsing) and their translation into ServerOptions.
// Every flag but --listen has a CODEX_EXEC_SERVER_* environment variable of the same name.
import { logger } from "../log.ts";
import { AdmissionError, isLoopback, tokenDigest } from "../server/admission.ts";
import { DEFAULT_LIMITS } from "../server/limits.ts";
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from "../server/server-options.ts";
import type { Flag, Flags } from "./args.ts";
import { fromEnv, isStdio, parseChoice, parseCount, parseListen, UsageError } from "./options.ts";

const log = logger("cli");

const env = (flag: string) => `CODEX_EXEC_SERVER_${flag.toUpperCase().replaceAll("-", "_")}`;

const count = (flag: string, description: string, fallback: number): Flag => ({
  type: "string",
  description,
  hint: "N",
  env: env(flag),
  fallback: String(fallback),
});

export const SERVE_FLAGS = {
  listen: {
    type: "string",
    description:
      "Websocket address to listen on, an IP literal (port 0 picks a free port), or stdio (newline-delimited JSON on stdin/stdout)",
    hint: "ws://IP:PORT",
    fallback: "ws://127.0.0.1:0",
  },
  "session-ttl-ms": count("session-ttl-ms", "How long a detached session waits for a resume", 30_000),
  "retained-output-bytes": count(
    "retained-output-bytes",
    "Output kept per process for process/read",
    1_048_576,
  ),
  "log-level": {
    type: "string",
    description: "error, warn, info or debug",
    hint: "LEVEL",
    env: env("log-level"),
    fallback: "info",
  },
  "log-format": {
    type: "string",
    description:
      "text (one line per event) or json (one JSON object per line, for journald and log shippers)",
    hint: "FORMAT",
    env: env("log-format"),
    fallback: "text",
  },
  "ws-auth": {
    type: "string",
    description: "capability-token: clients must send Authorization: Bearer <token>",
    hint: "MODE",
    env: env("ws-auth"),
  },
  "ws-token-file": {
    type: "string",
    description: "Absolute path of a file holding the capability token",
    hint: "FILE",
    env: env("ws-token-file"),
  },
  "ws-token-sha256": {
    type: "string",
    description: "SHA-256 (hex) of the capability token, instead of a file",
    hint: "HEX",
    env: env("ws-token-sha256"),
  },
  "insecure-no-auth": {
    type: "boolean",
    description: "Allow a non-loopback --listen without auth (anyone who can connect can run commands)",
  },
  "allow-origin": {
    type: "string",
    description: "Comma-separated browser origins allowed to connect (default: none)",
    hint: "ORIGINS",
    env: env("allow-origin"),
  },
  "keepalive-ms": count(
    "keepalive-ms",
    "Ping quiet connections this often; close ones silent for twice as long; 0 = off",
    30_000,
  ),
  "max-frame-bytes": count(
    "max-frame-bytes",
    "Largest incoming websocket frame",
    DEFAULT_LIMITS.maxFrameBytes,
  ),
  "max-sessions": count("max-sessions", "Sessions alive at once", DEFAULT_LIMITS.maxSessions),
  "max-processes-per-session": count(
    "max-processes-per-session",
    "Live processes one session may hold",
    DEFAULT_LIMITS.maxProcessesPerSession,
  ),
  "max-pending-requests": count(
    "max-pending-requests",
    "Requests one connection may have in flight",
    DEFAULT_LIMITS.maxPendingRequests,
  ),
  "send-buffer-bytes": count(
    "send-buffer-bytes",
    "Send buffer past which output is held back until the reader catches up",
    DEFAULT_LIMITS.sendBufferBytes,
  ),
  "slow-reader-ms": count(
    "slow-reader-ms",
    "A reader behind this long has its output notifications dropped (process/read keeps the data)",
    DEFAULT_LIMITS.slowReaderMs,
  ),
  "first-read-patience-ms": count(
    "first-read-patience-ms",
    "How long a program never read is held at the retention limit before notified output counts as read",
    1000,
  ),
  "handshake-timeout-ms": count(
    "handshake-timeout-ms",
    "Close a connection that has not sent initialize within this long",
    DEFAULT_LIMITS.handshakeTimeoutMs,
  ),
  cgroups: {
    type: "string",
    description:
      "on: each program and all it starts in a cgroup v2 group of its own, where the server may make one (root, or a delegated subtree); auto: so only where moving between groups is cheap (cgroup2 mounted with favordynmods); off: find a program's family by its process group, session and parent tree",
    hint: "MODE",
    env: env("cgroups"),
    fallback: "auto",
  },
  "max-read-file-bytes": count(
    "max-read-file-bytes",
    "Largest file fs/readFile reads whole",
    DEFAULT_LIMITS.maxReadFileBytes,
  ),
} as const satisfies Flags;

export type ServeValues = {
  [K in keyof typeof SERVE_FLAGS]?: (typeof SERVE_FLAGS)[K]["type"] extends "boolean" ? boolean : string;
};
type Values = ServeValues;

function admission(values: Values, host: string): Pick<ServerOptions, "tokenSha256" | "allowedOrigins"> {
  const mode = fromEnv("ws-auth", values["ws-auth"], "").value;
  const tokenFile = fromEnv("ws-token-file", values["ws-token-file"], "").value || undefined;
  const tokenSha256 = fromEnv("ws-token-sha256", values["ws-token-sha256"], "").value || undefined;
  if (mode !== "" && mode !== "capability-token") {
    throw new UsageError(`invalid --ws-auth value '${mode}': expected capability-token`);
  }
  if (mode === "" && (tokenFile || tokenSha256)) {
    throw new UsageError("--ws-token-file and --ws-token-sha256 need --ws-auth capability-token");
  }
  let digest: Buffer | null = null;
  try {
    digest = mode === "capability-token" ? tokenDigest({ tokenFile, tokenSha256 }) : null;
  } catch (error) {
    if (error instanceof AdmissionError) throw new UsageError(error.message);
    throw error;
  }
  if (!digest && !isLoopback(host)) {
    if (!values["insecure-no-auth"]) {
      throw new UsageError(
        `refusing to listen on non-loopback ${host} without auth: use --ws-auth capability-token, or --insecure-no-auth`,
      );
    }
    log.warn("listening on a non-loopback address without auth: anyone who can connect can run commands", {
      host,
    });
  }
  const origins = fromEnv("allow-origin", values["allow-origin"], "").value;
  const allowedOrigins = origins
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  return { tokenSha256: digest, allowedOrigins };
}

export function resolveServeOptions(values: Values): ServerOptions {
  const stdio = isStdio(values.listen ?? "");
  const listen = stdio ? { host: "127.0.0.1", port: 0 } : parseListen(values.listen ?? "ws://127.0.0.1:0");
  const limit = (flag: keyof Values & string, fallback: number) =>
    parseCount(flag, values[flag] as string, fallback, 1);
  return {
    ...DEFAULT_SERVER_OPTIONS,
    ...listen,
    stdio,
    ...admission(values, listen.host),
    sessionTtlMs: parseCount("session-ttl-ms", values["session-ttl-ms"], DEFAULT_SERVER_OPTIONS.sessionTtlMs),
    retainedOutputBytes: limit("retained-output-bytes", DEFAULT_SERVER_OPTIONS.retainedOutputBytes),
    keepaliveMs: parseCount("keepalive-ms", values["keepalive-ms"], DEFAULT_SERVER_OPTIONS.keepaliveMs),
    firstReadPatienceMs: parseCount("first-read-patience-ms", values["first-read-patience-ms"], 1000),
    reapOrphans: true,
    programCgroups: parseChoice("cgroups", values.cgroups, ["auto", "on", "off"], "auto"),
    limits: {
      ...DEFAULT_LIMITS,
      maxFrameBytes: limit("max-frame-bytes", DEFAULT_LIMITS.maxFrameBytes),
      maxSessions: limit("max-sessions", DEFAULT_LIMITS.maxSessions),
      maxProcessesPerSession: limit("max-processes-per-session", DEFAULT_LIMITS.maxProcessesPerSession),
      maxPendingRequests: limit("max-pending-requests", DEFAULT_LIMITS.maxPendingRequests),
      sendBufferBytes: limit("send-buffer-bytes", DEFAULT_LIMITS.sendBufferBytes),
      slowReaderMs: limit("slow-reader-ms", DEFAULT_LIMITS.slowReaderMs),
      maxReadFileBytes: limit("max-read-file-bytes", DEFAULT_LIMITS.maxReadFileBytes),
      handshakeTimeoutMs: limit("handshake-timeout-ms", DEFAULT_LIMITS.handshakeTimeoutMs),
    },
  };
}
