// This host's environmentInfo. Computed once per server: none of it changes while we run.
import { accessSync, constants, readFileSync } from "node:fs";
import { homedir, hostname, tmpdir } from "node:os";
import pkg from "../../package.json" with { type: "json" };
import type { Capabilities, EnvironmentInfo } from "../protocol/initialize.ts";
import { toFileUri } from "../protocol/path.ts";
import type { HostInfo } from "./types.ts";

/**
 * Every capability a Codex 0.171 executor reports, and ours. True only where the feature works
 * here: a client calls what a capability advertises, and a missing name counts as false.
 */
export const CAPABILITIES: Capabilities = {
  networkProxyLaunch: false,
  networkProxyReviewDomains: false,
  networkProxyTransparentTcp: false,
  credentialMasking: false,
  credentialMaskingCustomProviders: false,
  capabilityDiscoverySandbox: false,
  fsWatchMissing: true,
  capabilityDiscoveryV2: false,
  environmentConfigRead: true,
  httpHeaderEnvVars: false,
  // fs/open with fs/readBlock and fs/writeBlock; under a sandbox the path is checked at open.
  sandboxedFileStreaming: true,
  fileWriteStreaming: true,
  shellSnapshotV2: false,
  windowsMxc: false,
  linuxRootWritePreservesDevices: false,
  linuxApprovedRootWritePreservesRestrictions: false,
  // [ext] ours: process/closeStdin, process/signal with names past `interrupt`, process/resize.
  processCloseStdin: true,
  processSignalNames: true,
  processResize: true,
};

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The user's login shell (passwd), else $SHELL, else bash, else sh: one that exists here. */
export function loginShell(env: Record<string, string | undefined> = process.env): {
  name: string;
  path: string;
} {
  const candidates = [passwdShell(), env.SHELL, "/bin/bash", "/bin/sh"];
  const path = candidates.find((p): p is string => !!p?.startsWith("/") && isExecutable(p)) ?? "/bin/sh";
  return { name: path.slice(path.lastIndexOf("/") + 1), path };
}

function passwdShell(): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const fields = line.split(":");
      if (fields[2] === String(uid)) return fields[6] || undefined;
    }
  } catch {
    // No passwd file (some containers): the other candidates decide.
  }
  return undefined;
}

function platformOs(): string {
  return process.platform === "darwin"
    ? "macos"
    : process.platform === "win32"
      ? "windows"
      : process.platform;
}

/** Stable for this user on this host, as the reference's is: a digest, not the names themselves. */
function providerId(): string {
  const digest = new Bun.CryptoHasher("sha256")
    .update(`codex-exec-server\0${hostname()}\0${process.getuid?.() ?? ""}`)
    .digest("hex");
  return `sha256:${digest}`;
}

export function hostEnvironmentInfo(): EnvironmentInfo {
  return {
    shell: loginShell(),
    executorVersion: pkg.version,
    providerId: providerId(),
    cwd: toFileUri(process.cwd()),
    userHomeDir: toFileUri(homedir()),
    platformOs: platformOs(),
    prependPathDirs: [],
    temporaryDirectories: [],
    tempDir: toFileUri(tmpdir().replace(/(.)\/+$/, "$1")),
    capabilities: { ...CAPABILITIES },
  };
}

export class LocalHostInfo implements HostInfo {
  #info: EnvironmentInfo | null = null;

  /** The same object every time: initialize and environment/info answer it as it is. */
  get current(): EnvironmentInfo {
    this.#info ??= hostEnvironmentInfo();
    return this.#info;
  }

  async info(): Promise<EnvironmentInfo> {
    return this.current;
  }
}
