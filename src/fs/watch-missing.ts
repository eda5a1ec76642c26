// fs/watchMissing: one watch per connection that fires once, when a missing path (or a missing
// ancestor of one) appears or the `present` path changes. It uses the platform's file watching
// (node:fs watch: inotify, FSEvents) on the nearest existing parent of each path; nothing polls.
import { type FSWatcher, lstatSync, statSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { logger } from "../log.ts";
import { absolutePath } from "./path.ts";

const log = logger("fs");

/** The reference watches at most this many missing paths at once (65 → watching false). */
export const MAX_WATCHED_MISSING = 64;

type Lookup = { exists: true } | { exists: false; parent: string; name: string } | null;

/** Whether a path exists; if not, its nearest existing ancestor and the child name below it. */
function lookup(path: string): Lookup {
  try {
    lstatSync(path);
    return { exists: true };
  } catch (error) {
    // ENOTDIR (a file used as a directory) and the like can never become present by creation.
    if ((error as { code?: unknown })?.code !== "ENOENT") return null;
  }
  for (let child = path; ; ) {
    const parent = dirname(child);
    if (parent === child) return null;
    try {
      return statSync(parent).isDirectory() ? { exists: false, parent, name: basename(child) } : null;
    } catch {
      child = parent;
    }
  }
}

class ActiveWatch {
  readonly #watchers: FSWatcher[] = [];
  #isDone = false;

  constructor(
    readonly watchId: number,
    private readonly onFire: (watchId: number) => void,
  ) {}

  /** Fire for events on `names` inside `dir` (any event when the platform gives no name). */
  watchEntries(dir: string, names: Set<string>): void {
    this.#add(dir, (filename) => filename === null || names.has(filename));
  }

  /** Fire for any event on the path itself (content or metadata changes, removal). */
  watchPath(path: string): void {
    this.#add(path, () => true);
  }

  #add(path: string, matches: (filename: string | null) => boolean): void {
    const watcher = watch(path, { persistent: false }, (_event, filename) => {
      if (matches(filename === null ? null : String(filename))) this.fire();
    });
    // A watch that breaks (the directory itself removed, a platform error) may have missed a
    // change: firing lets the client look again, which costs it a probe and nothing else.
    watcher.on("error", (error) => {
      log.debug("watch error", { watchId: this.watchId, error: String(error) });
      this.fire();
    });
    this.#watchers.push(watcher);
  }

  /**
   * Deferred, so that a change seen while the watch is being set up is told after the
   * `{watching:true}` answer, never before it.
   */
  fire(): void {
    if (this.#isDone) return;
    this.#isDone = true;
    this.close();
    setImmediate(() => this.onFire(this.watchId));
  }

  close(): void {
    this.#isDone = true;
    for (const watcher of this.#watchers.splice(0)) watcher.close();
  }
}

export class MissingWatcher {
  #highestId = -1;
  #current: ActiveWatch | null = null;

  constructor(private readonly onChanged: (watchId: number) => void) {}

  /**
   * Replace the connection's watch. An id not above every id seen is ignored (false, the current
   * watch stays). A newer call that cannot watch (no paths, too many, one present already,
   * `present` missing) ends the current watch and answers false.
   */
  watch(watchId: number, missing: string[], present: string | null = null): boolean {
    if (watchId <= this.#highestId) return false;
    this.#highestId = watchId;
    this.close();
    if (missing.length === 0 || missing.length > MAX_WATCHED_MISSING) return false;
    const targets = missing.map((path) => absolutePath(path, "missing"));
    const presentPath = present === null ? null : absolutePath(present, "present");
    const parents = new Map<string, Set<string>>();
    for (const target of targets) {
      const found = lookup(target);
      if (!found || found.exists) return false;
      const names = parents.get(found.parent) ?? new Set<string>();
      names.add(found.name);
      parents.set(found.parent, names);
    }
    if (presentPath !== null && lookup(presentPath)?.exists !== true) return false;
    const active = new ActiveWatch(watchId, (id) => {
      if (this.#current === active) this.#current = null;
      this.onChanged(id);
    });
    try {
      for (const [parent, names] of parents) active.watchEntries(parent, names);
      if (presentPath !== null) this.#watchPresent(active, presentPath);
    } catch (error) {
      log.debug("watch failed", { watchId, error: String(error) });
      active.close();
      return false;
    }
    this.#current = active;
    // A path created between the lookups and the watches was missed by both: look once more.
    const isStale =
      targets.some((target) => {
        const now = lookup(target);
        return !now || now.exists || !parents.get(now.parent)?.has(now.name);
      }) ||
      (presentPath !== null && lookup(presentPath)?.exists !== true);
    if (isStale) active.fire();
    return true;
  }

  /** A file fires on any change to it; a directory only when it is removed or replaced. */
  #watchPresent(active: ActiveWatch, path: string): void {
    const isDirectory = lstatSync(path).isDirectory();
    if (!isDirectory) active.watchPath(path);
    if (path !== "/") active.watchEntries(dirname(path), new Set([basename(path)]));
  }

  close(): void {
    this.#current?.close();
    this.#current = null;
  }
}
