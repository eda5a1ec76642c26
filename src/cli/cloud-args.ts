// The cloud flags, kept apart from cloud.ts so the CLI can list and check them without loading
// the cloud client (ofetch, auth, registry) unless --cloud is given.
import type { Flags } from "./args.ts";
import { UsageError } from "./options.ts";

export const CLOUD_FLAGS = {
  cloud: {
    type: "boolean",
    description: "Register with the cloud environments service and serve its rendezvous websocket",
  },
  "cloud-base-url": {
    type: "string",
    description: "Cloud environments service URL",
    hint: "URL",
    env: "CODEX_CLOUD_ENVIRONMENTS_BASE_URL",
  },
  "cloud-environment-id": {
    type: "string",
    description: "Environment to join (default: the service picks)",
    hint: "ID",
  },
  "cloud-name": { type: "string", description: "Executor name (default: the host name)", hint: "NAME" },
  "cloud-request-timeout-ms": {
    type: "string",
    description: "Timeout of each cloud HTTP request and websocket dial",
    hint: "N",
    env: "CODEX_EXEC_SERVER_CLOUD_REQUEST_TIMEOUT_MS",
    fallback: "30000",
  },
  "cloud-keepalive-ms": {
    type: "string",
    description: "Ping the rendezvous socket this often; drop it after a silent interval",
    hint: "N",
    env: "CODEX_EXEC_SERVER_CLOUD_KEEPALIVE_MS",
    fallback: "30000",
  },
  "cloud-backoff-base-ms": {
    type: "string",
    description: "First reconnect delay",
    hint: "N",
    env: "CODEX_EXEC_SERVER_CLOUD_BACKOFF_BASE_MS",
    fallback: "1000",
  },
  "cloud-backoff-max-ms": {
    type: "string",
    description: "Longest reconnect delay",
    hint: "N",
    env: "CODEX_EXEC_SERVER_CLOUD_BACKOFF_MAX_MS",
    fallback: "30000",
  },
} as const satisfies Flags;

/** Cloud flags only mean something with --cloud, and --listen means nothing with it. */
export function checkCloudFlags(given: readonly string[], isCloud: boolean): void {
  if (isCloud && given.includes("listen")) throw new UsageError("--listen cannot be used with --cloud");
  const stray = given.find((n) => n.startsWith("cloud-"));
  if (!isCloud && stray) throw new UsageError(`--${stray} needs --cloud`);
}
