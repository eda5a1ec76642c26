// A sandbox plan → the bubblewrap argv that confines one command. Mounts apply in order, so the
// list goes from wide to narrow: `/` (read-only, or only the readable roots), fresh /dev and
// /proc, each writable root bound back read-write (parents first), read-only subpaths over them,
// then denied paths hidden. New user and pid namespaces always (the pid namespace ends every
// process in it when its first process dies, which makes terminate exact); a new network namespace
// when the network is restricted. No --new-session: a pipe child is already a session leader
// without a terminal (setsid at spawn), and a PTY child needs its PTY as controlling terminal;
// that PTY is the command's own, so TIOCSTI can only type into the sandbox itself.
import { posix } from "node:path";
import { isWithin, type SandboxPlan } from "./policy.ts";

export type PathKind = "directory" | "file" | "missing";

/** How bwrapArgs sees the host filesystem (injected so the translation is unit-testable). */
export interface HostView {
  kind(path: string): PathKind;
  /** The path with every symlink resolved; only called for existing paths. */
  realpath(path: string): string;
}

export interface BwrapCommand {
  /** The command after resolution (absolute program first). */
  argv: string[];
  cwd: string;
  /** The descriptor (in the child) bwrap reads a seccomp filter from, if any. */
  seccompFd?: number | null;
}

export interface BwrapArgs {
  args: string[];
  /** Where a missing read-only or denied path would first appear: an empty directory must exist there first. */
  placeholders: string[];
}

const depth = (path: string) => (path === "/" ? 0 : path.split("/").length);
const byDepth = (a: string, b: string) => depth(a) - depth(b) || a.localeCompare(b);

export function bwrapArgs(plan: SandboxPlan, command: BwrapCommand, host: HostView): BwrapArgs {
  const resolve = (path: string) => (host.kind(path) === "missing" ? null : host.realpath(path));
  const writable = unique(plan.writableRoots.map(resolve)).sort(byDepth);
  const args: string[] = [];
  if (writable.includes("/")) args.push("--bind", "/", "/");
  else if (plan.isRootReadable) args.push("--ro-bind", "/", "/");
  else
    for (const root of unique(plan.readableRoots.map(resolve)).sort(byDepth))
      args.push("--ro-bind", root, root);
  args.push("--dev", "/dev", "--proc", "/proc");
  for (const root of writable) if (root !== "/") args.push("--bind", root, root);
  if (!plan.isRootReadable && !writable.includes("/")) {
    // Only the roots' real paths are bound: a root reached through a symlink (`/bin` → `usr/bin`)
    // needs the link too, or nothing finds `/bin/sh`.
    for (const root of unique([...plan.readableRoots, ...plan.writableRoots]).sort(byDepth)) {
      const real = resolve(root);
      if (real && real !== root) args.push("--symlink", real, root);
    }
  }

  const placeholders: string[] = [];
  // A missing read-only or denied path is covered where it would first appear: its first missing
  // ancestor, if that lies in a writable root (as the reference covers them, so a command cannot
  // create `.git` with hooks, or `a/b` by way of `a`). Elsewhere nothing can create it anyway.
  const cover = (path: string): string | null => {
    const missing = firstMissing(path, host);
    if (!missing || !writable.some((root) => isWithin(missing, root))) return null;
    placeholders.push(missing);
    return missing;
  };
  const readOnly = plan.readOnlySubpaths.map(({ path }) => resolve(path) ?? cover(path));
  for (const path of unique(readOnly).sort(byDepth)) args.push("--ro-bind", path, path);

  for (const path of plan.deniedPaths) {
    const real = resolve(path);
    if (!real) {
      const covered = cover(path);
      if (covered) args.push("--ro-bind", covered, covered);
    } else if (host.kind(real) === "directory") {
      args.push("--perms", "0000", "--tmpfs", real, "--remount-ro", real);
    } else args.push("--ro-bind", "/dev/null", real);
  }

  // No capabilities inside: bwrap keeps them all when run by root, and with CAP_SYS_ADMIN in its
  // user namespace a command could remount `/` read-write (the mounts belong to that namespace).
  args.push("--unshare-user", "--unshare-pid", "--cap-drop", "ALL");
  if (plan.isNetworkRestricted) args.push("--unshare-net");
  if (command.seccompFd !== undefined && command.seccompFd !== null)
    args.push("--seccomp", String(command.seccompFd));
  args.push("--die-with-parent", "--chdir", command.cwd, "--", ...command.argv);
  return { args, placeholders };
}

/** The first component of `path` that does not exist, below its deepest existing (real) ancestor. */
function firstMissing(path: string, host: HostView): string | null {
  let child = path;
  for (let parent = posix.dirname(path); ; child = parent, parent = posix.dirname(parent)) {
    if (host.kind(parent) === "missing") {
      if (parent === "/") return null;
      continue;
    }
    if (host.kind(parent) !== "directory") return null;
    return posix.join(host.realpath(parent), posix.basename(child));
  }
}

function unique(paths: (string | null)[]): string[] {
  return [...new Set(paths.filter((path): path is string => path !== null))];
}
