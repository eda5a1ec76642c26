// `codex-exec-server --cloud ...`: register with the cloud environments service and serve the
// rendezvous websockets it hands out until SIGINT/SIGTERM. Flag mistakes are UsageErrors (exit 2);
// sign-in and registration failures are CloudErrors (exit 1).
import { hostname } from "node:os";
import { authFilePath } from "../cloud/auth.ts";
import { AuthStore } from "../cloud/auth-store.ts";
import { DEFAULT_BACKOFF } from "../cloud/backoff.ts";
import { normalizeBaseUrl, RegistryClient } from "../cloud/registry.ts";
import { runCloudExecutor } from "../cloud/rendezvous.ts";
import { refreshTokenUrl } from "../cloud/token-refresh.ts";
import { logger } from "../log.ts";
import { createServices, finishShutdown, type ServerOptions, startReaper } from "../server/server.ts";
import { parseCount, UsageError } from "./options.ts";

const log = logger("cli");

export const CLOUD_ARGS = {
  cloud: {
    type: "boolean",
    description: "Register with the cloud environments service and serve its rendezvous websocket",
  },
  "cloud-base-url": {
    type: "string",
    description: "Cloud environments service URL [env CODEX_CLOUD_ENVIRONMENTS_BASE_URL]",
  },
  "cloud-environment-id": { type: "string", description: "Environment to join (default: the service picks)" },
  "cloud-name": { type: "string", description: "Executor name (default: the host name)" },
  "cloud-request-timeout-ms": {
    type: "string",
    description:
      "Timeout of each cloud HTTP request and websocket dial [env CODEX_EXEC_SERVER_CLOUD_REQUEST_TIMEOUT_MS] (default 30000)",
  },
  "cloud-keepalive-ms": {
    type: "string",
    description:
      "Ping the rendezvous socket this often; drop it after a silent interval [env CODEX_EXEC_SERVER_CLOUD_KEEPALIVE_MS] (default 30000)",
  },
  "cloud-backoff-base-ms": {
    type: "string",
    description: "First reconnect delay [env CODEX_EXEC_SERVER_CLOUD_BACKOFF_BASE_MS] (default 1000)",
  },
  "cloud-backoff-max-ms": {
    type: "string",
    description: "Longest reconnect delay [env CODEX_EXEC_SERVER_CLOUD_BACKOFF_MAX_MS] (default 30000)",
  },
} as const;

type CloudValues = { [K in keyof typeof CLOUD_ARGS]?: K extends "cloud" ? boolean : string };

export interface CloudOptions {
  baseUrl: string;
  environmentId?: string;
  name: string;
  requestTimeoutMs: number;
  keepaliveMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export function parseCloudOptions(values: CloudValues, env = process.env): CloudOptions {
  const raw = values["cloud-base-url"] ?? env.CODEX_CLOUD_ENVIRONMENTS_BASE_URL;
  const baseUrl = normalizeBaseUrl(raw);
  if (!baseUrl) {
    throw new UsageError(
      "--cloud needs the service URL: pass --cloud-base-url URL or set CODEX_CLOUD_ENVIRONMENTS_BASE_URL",
    );
  }
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new UsageError(`invalid cloud base URL '${baseUrl}': expected http(s)://HOST[/PREFIX]`);
  }
  const name = (values["cloud-name"] ?? hostname()).trim();
  if (!name) throw new UsageError("invalid --cloud-name: must not be empty");
  const environmentId = values["cloud-environment-id"]?.trim();
  if (environmentId === "") throw new UsageError("invalid --cloud-environment-id: must not be empty");
  const count = (flag: keyof typeof CLOUD_ARGS, fallback: number) =>
    parseCount(flag, values[flag] as string | undefined, fallback, 1);
  const options = {
    baseUrl,
    environmentId,
    name,
    requestTimeoutMs: count("cloud-request-timeout-ms", 30_000),
    keepaliveMs: count("cloud-keepalive-ms", 30_000),
    backoffBaseMs: count("cloud-backoff-base-ms", DEFAULT_BACKOFF.baseMs),
    backoffMaxMs: count("cloud-backoff-max-ms", DEFAULT_BACKOFF.maxMs),
  };
  if (options.backoffMaxMs < options.backoffBaseMs) {
    throw new UsageError(
      `invalid cloud backoff: the longest delay (${options.backoffMaxMs} ms) is shorter than the first (${options.backoffBaseMs} ms)`,
    );
  }
  return options;
}

/** Cloud flags only mean something with --cloud, and --listen means nothing with it. */
export function checkCloudFlags(rawArgs: readonly string[], isCloud: boolean): void {
  const names = rawArgs.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0] as string);
  if (isCloud && names.includes("listen")) throw new UsageError("--listen cannot be used with --cloud");
  const stray = names.find((n) => n.startsWith("cloud-"));
  if (!isCloud && stray) throw new UsageError(`--${stray} needs --cloud`);
}

/** Serve until a signal (exit 0) or a registration that fails for good (CloudError, thrown). */
export async function serveCloud(cloud: CloudOptions, server: ServerOptions): Promise<void> {
  const auth = await AuthStore.load({
    path: authFilePath(),
    refreshTokenUrl: refreshTokenUrl(),
    timeoutMs: cloud.requestTimeoutMs,
  });
  const registry = new RegistryClient({ ...cloud, auth });
  const services = createServices(server);
  const reaper = startReaper(server);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    log.info("shutting down", { signal });
    stop.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await runCloudExecutor({
      registry,
      services,
      backoff: { baseMs: cloud.backoffBaseMs, maxMs: cloud.backoffMaxMs },
      connectTimeoutMs: cloud.requestTimeoutMs,
      keepaliveMs: cloud.keepaliveMs,
      signal: stop.signal,
    });
  } finally {
    await finishShutdown(services.sessions.close(), reaper);
  }
  process.exit(0);
}
