// The server command's flags: their citty definitions and their translation into ServerOptions.
// Every flag but --listen has a CODEX_EXEC_SERVER_* environment variable of the same name.
import type { ArgsDef } from "citty";
import { logger } from "../log.ts";
import { AdmissionError, isLoopback, tokenDigest } from "../server/admission.ts";
import { DEFAULT_LIMITS } from "../server/limits.ts";
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from "../server/server-options.ts";
import { fromEnv, parseCount, parseListen, UsageError } from "./options.ts";

const log = logger("cli");

const count = (flag: string, what: string, fallback: number) => ({
  type: "string" as const,
  description: `${what} [env CODEX_EXEC_SERVER_${flag.toUpperCase().replaceAll("-", "_")}] (default ${fallback})`,
});

export const SERVE_ARGS = {
  listen: {
    type: "string",
    description: "Websocket address to listen on, ws://IP:PORT (port 0 picks a free port)",
    default: "ws://127.0.0.1:0",
    valueHint: "ws://IP:PORT",
  },
  "session-ttl-ms": count("session-ttl-ms", "How long a detached session waits for a resume", 30_000),
  "retained-output-bytes": count(
    "retained-output-bytes",
    "Output kept per process for process/read",
    1_048_576,
  ),
  "log-level": {
    type: "string",
    description: "error, warn, info or debug [env CODEX_EXEC_SERVER_LOG_LEVEL] (default info)",
  },
  "ws-auth": {
    type: "string",
    description:
      "Websocket auth: capability-token (clients send Authorization: Bearer <token>) [env CODEX_EXEC_SERVER_WS_AUTH]",
  },
  "ws-token-file": {
    type: "string",
    description: "Absolute path of a file holding the capability token [env CODEX_EXEC_SERVER_WS_TOKEN_FILE]",
  },
  "ws-token-sha256": {
    type: "string",
    description:
      "SHA-256 (hex) of the capability token, instead of a file [env CODEX_EXEC_SERVER_WS_TOKEN_SHA256]",
  },
  "insecure-no-auth": {
    type: "boolean",
    description:
      "Allow listening on a non-loopback address without auth (anyone who can connect can run commands)",
  },
  "allow-origin": {
    type: "string",
    description:
      "Comma-separated browser origins allowed to connect (default: none) [env CODEX_EXEC_SERVER_ALLOW_ORIGIN]",
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
    "Send buffer past which programs' output is held back until the reader catches up",
    DEFAULT_LIMITS.sendBufferBytes,
  ),
  "slow-reader-ms": count(
    "slow-reader-ms",
    "A reader behind for this long has its output notifications dropped (process/read keeps the data)",
    DEFAULT_LIMITS.slowReaderMs,
  ),
  "handshake-timeout-ms": count(
    "handshake-timeout-ms",
    "Close a connection that has not sent initialize within this long",
    DEFAULT_LIMITS.handshakeTimeoutMs,
  ),
  "max-read-file-bytes": count(
    "max-read-file-bytes",
    "Largest file fs/readFile reads whole",
    DEFAULT_LIMITS.maxReadFileBytes,
  ),
} as const satisfies ArgsDef;

type Values = {
  [K in keyof typeof SERVE_ARGS]?: (typeof SERVE_ARGS)[K]["type"] extends "boolean" ? boolean : string;
};

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
  const listen = parseListen(values.listen ?? "ws://127.0.0.1:0");
  const limit = (flag: keyof Values & string, fallback: number) =>
    parseCount(flag, values[flag] as string, fallback, 1);
  return {
    ...DEFAULT_SERVER_OPTIONS,
    ...listen,
    ...admission(values, listen.host),
    sessionTtlMs: parseCount("session-ttl-ms", values["session-ttl-ms"], DEFAULT_SERVER_OPTIONS.sessionTtlMs),
    retainedOutputBytes: limit("retained-output-bytes", DEFAULT_SERVER_OPTIONS.retainedOutputBytes),
    keepaliveMs: parseCount("keepalive-ms", values["keepalive-ms"], DEFAULT_SERVER_OPTIONS.keepaliveMs),
    reapOrphans: true,
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
