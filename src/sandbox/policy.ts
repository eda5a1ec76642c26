// A client's sandbox context → a neutral plan that bwrap.ts, seatbelt.ts and fs-check.ts enforce.
// Every writable root comes from the entries the client sent; what is added here only ever
// restricts more (the protected names, the refusal of entries we cannot enforce).
import { posix } from "node:path";
import { InvalidRequest } from "../errors.ts";
import { absolutePath } from "../fs/path.ts";
import type { FileSystemEntry, SandboxContext } from "../protocol/sandbox.ts";

export interface ReadOnlySubpath {
  path: string;
  /** As the client sent it; a missing read-only subpath is covered by an empty read-only directory either way (see bwrap.ts). */
  missingPathBehavior: "skip" | null;
}

export interface SandboxPlan {
  /** The `root` entry grants read: everything not denied is readable. */
  isRootReadable: boolean;
  /** Readable besides the writable roots (only consulted when the root is not readable). */
  readableRoots: string[];
  writableRoots: string[];
  /** Read-only inside writable roots (.git and the like). */
  readOnlySubpaths: ReadOnlySubpath[];
  /** Access `none`/`deny`: neither readable nor writable. */
  deniedPaths: string[];
  isNetworkRestricted: boolean;
}

export interface PlanDefaults {
  /** The directory the command runs in (process/start.cwd), when the context names none. */
  cwd?: string | undefined;
  /** The command's TMPDIR, for the `tmpdir` entry; none → the entry grants nothing. */
  tmpdir?: string | undefined;
}

/** What the 0.171 reference keeps read-only in every project root, listed by the client or not. */
export const PROTECTED_NAMES = [".git", ".agents", ".codex", ".aws"];

/** The system directories the `minimal` entry stands for. */
export const MINIMAL_PATHS = ["/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/etc"];

/** The reference's words for a context whose entries name the cwd or project roots without either. */
const NEEDS_CWD = "file system sandbox context with dynamic permissions requires cwd";

interface Resolved {
  paths: string[];
  isProjectRoot: boolean;
}

/** Null when the context confines nothing (no sandbox, `disabled`, `external`, or unrestricted). */
export function sandboxPlan(
  context: SandboxContext | null | undefined,
  defaults: PlanDefaults,
): SandboxPlan | null {
  const permissions = context?.permissions;
  if (!context || !permissions || permissions.type !== "managed") return null;
  const isNetworkRestricted = permissions.network === "restricted";
  const fileSystem = permissions.file_system;
  if (fileSystem.type === "unrestricted") {
    if (!isNetworkRestricted) return null;
    return {
      isRootReadable: true,
      readableRoots: [],
      writableRoots: ["/"],
      readOnlySubpaths: [],
      deniedPaths: [],
      isNetworkRestricted,
    };
  }
  const cwdText = context.policyContext?.cwd ?? context.cwd ?? defaults.cwd;
  const cwd = cwdText ? absolutePath(cwdText, "sandbox.cwd") : null;
  const rootTexts = context.policyContext?.workspaceRoots ?? context.workspaceRoots ?? null;
  const projectRoots = rootTexts
    ? rootTexts.map((root) => absolutePath(root, "sandbox.workspaceRoots"))
    : cwd
      ? [cwd]
      : null;
  const scope = { cwd, projectRoots, tmpdir: defaults.tmpdir };

  let isRootReadable = false;
  const readable = new Set<string>();
  const writable = new Set<string>();
  const protectedRoots = new Set<string>();
  const readOnly = new Map<string, "skip" | null>();
  const denied = new Set<string>();
  const reads: { path: string; missing: "skip" | null }[] = [];
  for (const entry of fileSystem.entries) {
    const resolved = resolveEntry(entry, scope);
    for (const path of resolved.paths) {
      if (entry.access === "write") {
        writable.add(path);
        if (resolved.isProjectRoot) protectedRoots.add(path);
      } else if (entry.access === "read") {
        if (path === "/") isRootReadable = true;
        reads.push({ path, missing: entry.missing_path_behavior ?? null });
      } else denied.add(path);
    }
  }
  const writableRoots = [...writable];
  for (const read of reads) {
    if (writableRoots.some((root) => isWithin(read.path, root))) readOnly.set(read.path, read.missing);
    else readable.add(read.path);
  }
  for (const root of protectedRoots) {
    for (const name of PROTECTED_NAMES) {
      const path = posix.join(root, name);
      if (!readOnly.has(path)) readOnly.set(path, "skip");
    }
  }
  return {
    isRootReadable,
    readableRoots: [...readable],
    writableRoots,
    readOnlySubpaths: [...readOnly].map(([path, missingPathBehavior]) => ({ path, missingPathBehavior })),
    deniedPaths: [...denied],
    isNetworkRestricted,
  };
}

function resolveEntry(
  entry: FileSystemEntry,
  scope: { cwd: string | null; projectRoots: string[] | null; tmpdir: string | undefined },
): Resolved {
  const { path } = entry;
  const isDenial = entry.access === "none" || entry.access === "deny";
  if (path.type === "path")
    return { paths: [absolutePath(path.path, "sandbox entry path")], isProjectRoot: false };
  if (path.type === "glob_pattern") {
    // Ignoring a read or write glob grants less than asked; ignoring a denial would grant more.
    if (isDenial)
      throw new InvalidRequest(
        `sandbox glob_pattern denials are not enforced by this exec-server: ${path.pattern}`,
      );
    return { paths: [], isProjectRoot: false };
  }
  const { kind, subpath } = path.value;
  switch (kind) {
    case "root":
      return { paths: ["/"], isProjectRoot: false };
    case "minimal":
      return { paths: MINIMAL_PATHS, isProjectRoot: false };
    case "current_working_directory":
      if (!scope.cwd) throw new InvalidRequest(NEEDS_CWD);
      return { paths: [scope.cwd], isProjectRoot: true };
    case "project_roots": {
      const roots = scope.projectRoots;
      if (!roots) throw new InvalidRequest(NEEDS_CWD);
      if (subpath) return { paths: roots.map((root) => joinSubpath(root, subpath)), isProjectRoot: false };
      return { paths: roots, isProjectRoot: true };
    }
    case "slash_tmp":
      return { paths: ["/tmp"], isProjectRoot: false };
    case "tmpdir":
      return {
        paths: scope.tmpdir && posix.isAbsolute(scope.tmpdir) ? [posix.normalize(scope.tmpdir)] : [],
        isProjectRoot: false,
      };
    case "unknown":
      if (isDenial)
        throw new InvalidRequest("a sandbox denial of an unknown special path cannot be enforced");
      return { paths: [], isProjectRoot: false };
  }
}

function joinSubpath(root: string, subpath: string): string {
  const joined = posix.join(root, subpath);
  if (!isWithin(joined, root)) throw new InvalidRequest(`sandbox subpath ${subpath} leaves its project root`);
  return joined;
}

/** Whether `path` is `root` or below it (both absolute and normalized). */
export function isWithin(path: string, root: string): boolean {
  return path === root || root === "/" || path.startsWith(`${root}/`);
}
