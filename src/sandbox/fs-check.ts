// The fs methods' sandbox: each path is checked against the plan before the operation runs, after
// resolving the symlinks of its deepest existing ancestor (so a link inside the workspace that
// points outside it is judged by where it points). Errors are the 0.171 reference's for the same
// request (measured: a denied write is -32603 `Read-only file system (os error 30)`, a path
// outside every readable root -32004 as if absent, a denied path -32600 `Permission denied`).
// The check and the operation are two steps: see SECURITY.md for the race this leaves.
import { lstatSync, realpathSync } from "node:fs";
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

/** Resolve every symlink of the deepest existing ancestor; the missing rest is appended as is. */
export function resolveDeepest(path: string, isFinalLinkKept = false): string {
  if (isFinalLinkKept && path !== "/")
    return posix.join(resolveDeepest(posix.dirname(path)), posix.basename(path));
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      return posix.join(realpathSync(current), ...missing.reverse());
    } catch {
      if (current === "/") return path;
      missing.push(posix.basename(current));
      current = posix.dirname(current);
    }
  }
}

const realRoot = (path: string) => resolveDeepest(path);

export function checkPlanAccess(
  plan: SandboxPlan,
  path: string,
  access: FsAccess,
  options: FsCheckOptions = {},
): void {
  const target = resolveDeepest(path, options.isFinalLinkKept);
  const within = (roots: string[]) => roots.some((root) => isWithin(target, realRoot(root)));
  if (within(plan.deniedPaths)) throw new InvalidRequest(osErrorText({ code: "EACCES" }));
  const writable = plan.writableRoots;
  if (access === "read") {
    if (plan.isRootReadable || within(plan.readableRoots) || within(writable)) return;
    throw new NotFound(osErrorText({ code: "ENOENT" }));
  }
  const readOnly = plan.readOnlySubpaths.map((subpath) => subpath.path);
  if (within(writable) && !within(readOnly)) return;
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
