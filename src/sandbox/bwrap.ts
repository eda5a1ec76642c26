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
  /** Missing read-only subpaths whose parent exists: an empty directory must exist there first. */
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

  const placeholders: string[] = [];
  const readOnly: string[] = [];
  for (const { path } of plan.readOnlySubpaths) {
    const real = resolve(path);
    if (real) {
      readOnly.push(real);
      continue;
    }
    // Covered like the reference covers them, so the command cannot create `.git` (hooks!) in
    // a project root; a subpath whose parent is missing too is skipped.
    const parent = resolve(posix.dirname(path));
    if (!parent || host.kind(parent) !== "directory") continue;
    const target = posix.join(parent, posix.basename(path));
    if (!writable.some((root) => isWithin(target, root))) continue;
    placeholders.push(target);
    readOnly.push(target);
  }
  for (const path of unique(readOnly).sort(byDepth)) args.push("--ro-bind", path, path);

  for (const path of plan.deniedPaths) {
    const real = resolve(path);
    if (!real) continue;
    if (host.kind(real) === "directory") args.push("--perms", "0000", "--tmpfs", real, "--remount-ro", real);
    else args.push("--ro-bind", "/dev/null", real);
  }

  args.push("--unshare-user", "--unshare-pid");
  if (plan.isNetworkRestricted) args.push("--unshare-net");
  if (command.seccompFd !== undefined && command.seccompFd !== null)
    args.push("--seccomp", String(command.seccompFd));
  args.push("--die-with-parent", "--chdir", command.cwd, "--", ...command.argv);
  return { args, placeholders };
}

function unique(paths: (string | null)[]): string[] {
  return [...new Set(paths.filter((path): path is string => path !== null))];
}
