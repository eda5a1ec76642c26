// The cloud flags, kept apart from cloud.ts so the CLI can list and check them without loading
// the cloud client (ofetch, auth, registry) unless --cloud is given.
import { UsageError } from "./options.ts";

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

/** Cloud flags only mean something with --cloud, and --listen means nothing with it. */
export function checkCloudFlags(rawArgs: readonly string[], isCloud: boolean): void {
  const names = rawArgs.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0] as string);
  if (isCloud && names.includes("listen")) throw new UsageError("--listen cannot be used with --cloud");
  const stray = names.find((n) => n.startsWith("cloud-"));
  if (!isCloud && stray) throw new UsageError(`--${stray} needs --cloud`);
}
