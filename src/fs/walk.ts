// fs/walk: a bounded breadth-first listing of a tree, and fs/canonicalize, with the reference's
// order, limits and link rules (docs/notes-0171-methods.md).
import type { Dirent } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { AppError, InvalidRequest } from "../errors.ts";
import { fsError, osErrorText } from "../os-error.ts";
import { absolutePath } from "./path.ts";

export const WALK_MAXIMUMS = { depth: 64, directories: 10_000, entries: 50_000 } as const;

export interface WalkOptions {
  /** The root is depth 0; a directory at depth d is read when d <= maxDepth. */
  maxDepth: number;
  /** Directories read, the root included. */
  maxDirectories: number;
  /** Files, directories and symlinks met (listed or not); other kinds do not count. */
  maxEntries: number;
  followDirectorySymlinks: boolean;
  /** List directories named `.…` but do not read them. */
  pruneHiddenDirectories?: boolean;
}

export interface WalkEntry {
  path: string;
  kind: "file" | "directory";
}

export interface WalkResult {
  entries: WalkEntry[];
  /** Directories that could not be read; the walk goes on without them. */
  errors: { path: string; message: string }[];
  isTruncated: boolean;
}

interface Pending {
  path: string;
  /** With links resolved: a followed link to a directory already queued is listed, not read again. */
  real: string;
  depth: number;
}

function checkLimits(options: WalkOptions): void {
  if (options.maxDirectories === 0 || options.maxEntries === 0)
    throw new InvalidRequest("filesystem walk limits must be greater than zero");
  const { depth, directories, entries } = WALK_MAXIMUMS;
  if (options.maxDepth > depth || options.maxDirectories > directories || options.maxEntries > entries) {
    throw new InvalidRequest(
      `filesystem walk limits exceed maximums: depth=${depth}, directories=${directories}, entries=${entries}`,
    );
  }
}

/** Entries by the byte order of their names' UTF-8 (what the reference sorts by), not UTF-16 order. */
function sortByName(dirents: Dirent[]): Dirent[] {
  const keyed = dirents.map((dirent) => ({ dirent, key: Buffer.from(dirent.name) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map(({ dirent }) => dirent);
}

export async function walk(root: string, options: WalkOptions): Promise<WalkResult> {
  checkLimits(options);
  const target = absolutePath(root);
  const result: WalkResult = { entries: [], errors: [], isTruncated: false };
  try {
    const info = options.followDirectorySymlinks ? await stat(target) : await lstat(target);
    if (!info.isDirectory()) return result;
  } catch (error) {
    throw fsError(error);
  }
  const rootReal = await realpath(target).catch(() => target);
  const queue: Pending[] = [{ path: target, real: rootReal, depth: 0 }];
  const queued = new Set([rootReal]);
  let counted = 0;
  const enqueue = (path: string, real: string, name: string, depth: number) => {
    if (depth > options.maxDepth || (options.pruneHiddenDirectories && name.startsWith("."))) return;
    if (queued.has(real)) return;
    queued.add(real);
    queue.push({ path, real, depth });
  };
  for (let read = 0; read < queue.length; read++) {
    const dir = queue[read] as Pending;
    if (read >= options.maxDirectories) {
      result.isTruncated = true;
      break;
    }
    let dirents: Dirent[];
    try {
      dirents = sortByName(await readdir(dir.path, { withFileTypes: true }));
    } catch (error) {
      result.errors.push({ path: dir.path, message: osErrorText(error) });
      continue;
    }
    for (const dirent of dirents) {
      if (counted >= options.maxEntries) {
        result.isTruncated = true;
        return result;
      }
      const path = join(dir.path, dirent.name);
      if (dirent.isFile()) {
        counted++;
        result.entries.push({ path, kind: "file" });
      } else if (dirent.isDirectory()) {
        counted++;
        result.entries.push({ path, kind: "directory" });
        enqueue(path, join(dir.real, dirent.name), dirent.name, dir.depth + 1);
      } else if (dirent.isSymbolicLink()) {
        counted++;
        if (!options.followDirectorySymlinks) continue;
        const info = await stat(path).catch(() => null);
        if (!info?.isDirectory()) continue;
        result.entries.push({ path, kind: "directory" });
        const real = await realpath(path).catch(() => null);
        if (real) enqueue(path, real, dirent.name, dir.depth + 1);
      }
      // FIFOs, sockets and devices are neither listed nor counted.
    }
  }
  return result;
}

/** The path with `..` resolved lexically first, then every link resolved. */
export async function canonicalize(path: string): Promise<string> {
  try {
    return await realpath(absolutePath(path));
  } catch (error) {
    throw error instanceof AppError ? error : fsError(error);
  }
}
