// The fs methods' sandbox: each path is checked against the plan before the operation runs, after
// resolving the symlinks of its deepest existing ancestor (so a link inside the workspace that
// points outside it is judged by where it points). Errors are the 0.171 reference's for the same
// request (measured: a denied write is -32603 `Read-only file system (os error 30)`, a path
// outside every readable root -32004 as if absent, a denied path -32600 `Permission denied`).
// The check and the operation are two steps: see SECURITY.md for the race this leaves.
import { lstatSync, readlinkSync } from "node:fs";
import { posix } from "node:path";
import { InternalError, InvalidRequest, NotFound } from "../errors.ts";
import { absolutePath } from "../fs/path.ts";
import { osErrorText } from "../os-error.ts";
import type { SandboxContext } from "../protocol/sandbox.ts";
import { isWithin, type SandboxPlan, sandboxPlan } from "./policy.ts";

export type FsAccess = "read" | "write";

export interface FsCheckOptions {
  /** Judge the path itself, not what a final symlink points to (fs/remove removes the link). */
  isFinalLinkKept?: boolean;
}

/** As the kernel's path walk: past this many links, ELOOP. */
const MAX_LINKS = 40;

/**
 * The path an operation on `path` reaches: every symlink resolved, component by component, as the
 * kernel does, including one whose target does not exist yet (a write through a dangling link
 * creates its target, so the target is what is judged). From the first missing component on, the
 * rest is appended as it is. `isFinalLinkKept`: a final link is the path itself (fs/remove).
 */
export function resolveDeepest(path: string, isFinalLinkKept = false): string {
  const pending = path.split("/").filter((part) => part !== "" && part !== ".");
  let resolved = "/";
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === "..") {
      resolved = posix.dirname(resolved);
      continue;
    }
    const next = posix.join(resolved, part);
    if (isFinalLinkKept && pending.length === 0) return next;
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      return posix.join(next, ...pending);
    }
    if (!isLink) {
      resolved = next;
      continue;
    }
    if (++links > MAX_LINKS) throw new InternalError(osErrorText({ code: "ELOOP" }));
    const target = readlinkSync(next);
    if (target.startsWith("/")) resolved = "/";
    pending.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
  }
  return resolved;
}

interface RealRoots {
  denied: string[];
  readable: string[];
  writable: string[];
  readOnly: string[];
}

/** A plan's roots with their links resolved, once per plan (a walk checks thousands of paths). */
const realRootsOf = new WeakMap<SandboxPlan, RealRoots>();

function realRoots(plan: SandboxPlan): RealRoots {
  let roots = realRootsOf.get(plan);
  if (!roots) {
    const real = (paths: string[]) => paths.map((path) => resolveDeepest(path));
    roots = {
      denied: real(plan.deniedPaths),
      readable: real(plan.readableRoots),
      writable: real(plan.writableRoots),
      readOnly: real(plan.readOnlySubpaths.map((subpath) => subpath.path)),
    };
    realRootsOf.set(plan, roots);
  }
  return roots;
}

export function checkPlanAccess(
  plan: SandboxPlan,
  path: string,
  access: FsAccess,
  options: FsCheckOptions = {},
): void {
  const target = resolveDeepest(path, options.isFinalLinkKept);
  const roots = realRoots(plan);
  const within = (list: string[]) => list.some((root) => isWithin(target, root));
  if (within(roots.denied)) throw new InvalidRequest(osErrorText({ code: "EACCES" }));
  if (access === "read") {
    if (plan.isRootReadable || within(roots.readable) || within(roots.writable)) return;
    throw new NotFound(osErrorText({ code: "ENOENT" }));
  }
  if (within(roots.writable) && !within(roots.readOnly)) return;
  throw new InternalError(osErrorText({ code: "EROFS" }));
}

/** Check one path of an fs call against its sandbox context; no context or no restriction passes. */
export function checkFsAccess(
  context: SandboxContext | null | undefined,
  pathField: string,
  access: FsAccess,
  options: FsCheckOptions & { isAbsentAllowed?: boolean } = {},
): void {
  const plan = sandboxPlan(context, {});
  if (!plan) return;
  const path = absolutePath(pathField, "path");
  // Removing what is not there changes nothing; the operation answers as it would unsandboxed.
  if (options.isAbsentAllowed && !isPresent(path)) return;
  checkPlanAccess(plan, path, access, options);
}

/** Whether the path names anything, a dangling symlink included. */
function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether the context's plan lets the client read a path (always true without a restriction). */
export function readableUnder(context: SandboxContext | null | undefined): (path: string) => boolean {
  const plan = sandboxPlan(context, {});
  if (!plan) return () => true;
  return (path) => {
    try {
      checkPlanAccess(plan, path, "read");
      return true;
    } catch {
      return false;
    }
  };
}
