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
import type { ServerOptions } from "../server/server.ts";
import { createServices, finishShutdown, startContainment } from "../server/services.ts";
import type { CLOUD_FLAGS } from "./cloud-args.ts";
import { parseCount, UsageError } from "./options.ts";

const log = logger("cli");

type CloudValues = { [K in keyof typeof CLOUD_FLAGS]?: K extends "cloud" ? boolean : string };

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
  const count = (flag: keyof typeof CLOUD_FLAGS, fallback: number) =>
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

/** Serve until a signal (exit 0) or a registration that fails for good (CloudError, thrown). */
export async function serveCloud(cloud: CloudOptions, server: ServerOptions): Promise<void> {
  const auth = await AuthStore.load({
    path: authFilePath(),
    refreshTokenUrl: refreshTokenUrl(),
    timeoutMs: cloud.requestTimeoutMs,
  });
  const registry = new RegistryClient({ ...cloud, auth });
  const services = createServices(server);
  const containment = startContainment(server);
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
    await finishShutdown(services.sessions.close(), containment);
  }
  process.exit(0);
}
