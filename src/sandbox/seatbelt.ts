// A sandbox plan → a Seatbelt (macOS `sandbox-exec`) profile. Paths travel as parameters
// (`-D NAME=path`, read with `(param "NAME")`), so no path is ever spliced into the profile text.
// launch.ts runs sandboxed commands on macOS through it. It cannot run on this project's Linux CI,
// so it is only unit-tested (test/unit/sandbox-seatbelt.test.ts).
import type { SandboxPlan } from "./policy.ts";

export const SANDBOX_EXEC = "/usr/bin/sandbox-exec";

export interface SeatbeltProfile {
  profile: string;
  params: Record<string, string>;
}

/**
 * `real` resolves a root's links: Seatbelt matches the real path (on macOS `/tmp` is
 * `/private/tmp` and `$TMPDIR` is under `/private/var/folders`), so a root must be given as one.
 */
export function seatbeltProfile(
  plan: SandboxPlan,
  real: (path: string) => string = (path) => path,
): SeatbeltProfile {
  const params: Record<string, string> = {};
  const param = (prefix: string, paths: string[]) =>
    paths.map((path, i) => {
      params[`${prefix}_${i}`] = real(path);
      return `(subpath (param "${prefix}_${i}"))`;
    });
  const writable = param("WRITABLE_ROOT", plan.writableRoots);
  const readOnly = param(
    "READ_ONLY",
    plan.readOnlySubpaths.map((subpath) => subpath.path),
  );
  const readable = param("READABLE_ROOT", plan.readableRoots);
  const denied = param("DENIED", plan.deniedPaths);

  const lines = [
    "(version 1)",
    "(deny default)",
    // The command and its children run, signal each other, and read what the system offers them.
    "(allow process-exec process-fork)",
    "(allow signal (target same-sandbox))",
    "(allow sysctl-read)",
    "(allow mach-lookup)",
    "(allow ipc-posix-shm-read* ipc-posix-shm-write-data ipc-posix-sem)",
    // Terminals and the null devices stay usable (PTYs included).
    '(allow file-read* file-write-data file-ioctl (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty") (regex #"^/dev/ttys[0-9]+$"))',
    plan.isRootReadable ? "(allow file-read*)" : `(allow file-read* ${[...readable, ...writable].join(" ")})`,
  ];
  if (writable.length > 0) {
    const exceptions = readOnly.map((path) => `(require-not ${path})`).join(" ");
    lines.push(`(allow file-write* (require-all (require-any ${writable.join(" ")}) ${exceptions}))`);
  }
  if (denied.length > 0) lines.push(`(deny file-read* file-write* ${denied.join(" ")})`);
  lines.push(plan.isNetworkRestricted ? "(allow network* (remote unix-socket))" : "(allow network*)");
  return { profile: `${lines.join("\n")}\n`, params };
}

/** The argv that runs `command` under the profile. */
export function seatbeltArgv(
  plan: SandboxPlan,
  command: string[],
  real: (path: string) => string = (path) => path,
): string[] {
  const { profile, params } = seatbeltProfile(plan, real);
  const defines = Object.entries(params).flatMap(([name, value]) => ["-D", `${name}=${value}`]);
  return [SANDBOX_EXEC, "-p", profile, ...defines, "--", ...command];
}
