// Running one command inside the sandbox its process/start asked for: find bubblewrap (once),
// turn the plan into its argv, hold the placeholders of missing protected paths while the command
// runs, and hand bwrap the seccomp filter. A restricting sandbox that cannot be applied is refused
// (-32600 naming what is missing); a command is never run unsandboxed instead.
import { lstatSync, mkdirSync, realpathSync, rmdirSync, statSync } from "node:fs";
import { InvalidRequest } from "../errors.ts";
import { logger } from "../log.ts";
import { listProcesses } from "../process/family.ts";
import type { SandboxContext } from "../protocol/sandbox.ts";
import { bwrapArgs, type HostView, type PathKind } from "./bwrap.ts";
import { resolveDeepest } from "./fs-check.ts";
import { sandboxPlan } from "./policy.ts";
import { seatbeltArgv } from "./seatbelt.ts";
import { closeFd, openNetworkFilter } from "./seccomp.ts";

const log = logger("sandbox");

/** Overrides the bwrap found on PATH (tests point it at a missing file to see the refusal). */
export const BWRAP_VARIABLE = "CODEX_EXEC_SERVER_BWRAP";

/**
 * The sandbox type process/start reports. The 0.171 client knows `none`, `macosSeatbelt`,
 * `linuxSeccomp` and `windowsRestrictedToken` only; ours on Linux is bubblewrap namespaces plus a
 * seccomp network filter, which is what the reference's `linuxSeccomp` stands for too.
 */
export const LINUX_SANDBOX_TYPE = "linuxSeccomp";

export interface SandboxLaunch {
  argv: string[];
  sandboxType: string;
  /** Descriptors the child needs at 3, 4, ...: pass them in stdio, close them after the spawn. */
  extraFds: number[];
  /** After the spawn (even a failed one): close our copies of extraFds. */
  afterSpawn(): void;
  /** After bwrap exited (every process in its pid namespace is gone): drop the placeholders. */
  release(): void;
}

export interface LaunchInput {
  /** The resolved command (absolute program first). */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

/** The sandbox type a macOS command under Seatbelt reports, as the 0.171 client names it. */
export const MACOS_SANDBOX_TYPE = "macosSeatbelt";

/** Null when the context confines nothing: the command runs as asked. */
export function sandboxLaunch(
  context: SandboxContext | null | undefined,
  input: LaunchInput,
  platform: NodeJS.Platform = process.platform,
): SandboxLaunch | null {
  const plan = sandboxPlan(context, { cwd: input.cwd, tmpdir: input.env.TMPDIR });
  if (!plan) return null;
  if (platform === "darwin") {
    // Seatbelt: the profile is built from the same plan (seatbelt.ts). It cannot run on this
    // project's Linux CI; its generation and this argv are unit-tested only.
    return {
      argv: seatbeltArgv(plan, input.argv, (path) => resolveDeepest(path)),
      sandboxType: MACOS_SANDBOX_TYPE,
      extraFds: [],
      afterSpawn: () => {},
      release: () => {},
    };
  }
  if (platform !== "linux") {
    throw new InvalidRequest(
      `this exec-server enforces process sandboxes on Linux (bubblewrap) and macOS (Seatbelt) only; refusing a sandboxed command on ${platform}`,
    );
  }
  const bwrap = usableBwrap();
  const { args, placeholders } = bwrapArgs(
    plan,
    { argv: input.argv, cwd: input.cwd, seccompFd: plan.isNetworkRestricted ? 3 : null },
    HOST,
  );
  // What is held is given back if a later step throws; the filter's descriptor is opened last.
  const held: string[] = [];
  let seccompFd: number | null = null;
  try {
    for (const placeholder of placeholders) held.push(acquirePlaceholder(placeholder));
    if (plan.isNetworkRestricted) seccompFd = openNetworkFilter();
  } catch (error) {
    for (const path of held) releasePlaceholder(path);
    throw error;
  }
  let isReleased = false;
  return {
    argv: [bwrap, ...args],
    sandboxType: LINUX_SANDBOX_TYPE,
    extraFds: seccompFd === null ? [] : [seccompFd],
    afterSpawn: () => {
      if (seccompFd !== null) closeFd(seccompFd);
    },
    release: () => {
      if (isReleased) return;
      isReleased = true;
      for (const path of held) releasePlaceholder(path);
    },
  };
}

const HOST: HostView = {
  kind(path: string): PathKind {
    try {
      return statSync(path).isDirectory() ? "directory" : "file";
    } catch {
      // A dangling symlink is missing too: binding over it would fail.
      return "missing";
    }
  },
  realpath: (path) => realpathSync(path),
};

const probes = new Map<string, string | null>();

/** The bwrap to run, once it has shown it can make the namespaces we use; else a -32600. */
export function usableBwrap(): string {
  const configured = process.env[BWRAP_VARIABLE];
  const found = configured || Bun.which("bwrap");
  if (!found) {
    throw new InvalidRequest(
      "sandboxed commands need bubblewrap, and bwrap is not on PATH (install it: apt-get install bubblewrap, dnf install bubblewrap)",
    );
  }
  let problem = probes.get(found);
  if (problem === undefined) {
    problem = probe(found);
    probes.set(found, problem);
    if (problem) log.warn("bubblewrap unusable", { bwrap: found, problem });
  }
  if (problem) throw new InvalidRequest(`sandboxed commands need bubblewrap, and ${found} ${problem}`);
  return found;
}

function probe(bwrap: string): string | null {
  const args = [
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--unshare-user",
    "--unshare-pid",
    "--cap-drop",
    "ALL",
  ];
  try {
    const result = Bun.spawnSync(
      [bwrap, ...args, "--unshare-net", "--die-with-parent", "--", bwrap, "--version"],
      {
        stdin: "ignore",
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    if (result.exitCode === 0) return null;
    const reason = result.stderr.toString().trim().split("\n")[0] || `exit code ${result.exitCode}`;
    return `cannot create user, pid and network namespaces here: ${reason}`;
  } catch (error) {
    return `cannot be run: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Placeholders we created and how many running sandboxes mount them. */
const placeholderUsers = new Map<string, number>();

/**
 * An empty directory where a protected path is missing, so bwrap can bind it read-only. Shared
 * by every sandbox that needs it and removed when the last one ends: removing it while another
 * sandbox still mounts it would detach that mount and lift the protection there.
 */
function acquirePlaceholder(path: string): string {
  const users = placeholderUsers.get(path);
  if (users !== undefined) {
    placeholderUsers.set(path, users + 1);
    return path;
  }
  try {
    mkdirSync(path);
    placeholderUsers.set(path, 1);
  } catch {
    // Created by someone else meanwhile: it is theirs, bound read-only like any existing path.
  }
  return path;
}

function releasePlaceholder(path: string): void {
  const users = placeholderUsers.get(path);
  if (users === undefined) return;
  if (users > 1) {
    placeholderUsers.set(path, users - 1);
    return;
  }
  placeholderUsers.delete(path);
  try {
    if (lstatSync(path).isDirectory()) rmdirSync(path);
  } catch {
    // Not empty (something on the host wrote into it): it is kept.
  }
}

/**
 * The host pids of the processes a sandbox runs: the descendants of bwrap (`leaderPid`) without
 * bwrap itself and its pid-namespace init. A signal meant for the command (process/signal's
 * SIGINT) must go to these, not to the process group: bwrap does not forward signals, and a
 * bwrap killed by one takes the whole sandbox with it (--die-with-parent) before the command's
 * own handler has finished.
 */
export function sandboxedPids(leaderPid: number, processes = listProcesses()): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes)
    if (p.state !== "Z") children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const result: number[] = [];
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      result.push(child);
      visit(child);
    }
  };
  for (const init of children.get(leaderPid) ?? []) visit(init);
  return result;
}
