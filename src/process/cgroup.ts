// A cgroup v2 per program, where the host lets the server make them (a hierarchy it may write as
// root, or a subtree delegated to its user, e.g. systemd's Delegate=yes). The server steps into the
// program's group for the moment of the spawn, so the program is born in it and so is every
// process it ever forks: leaving the process group, calling setsid(), scrubbing the environment
// or losing the parent escapes none of it, and cgroup.kill ends the whole family in one write,
// with no race against forks. Where no group can be made, family.ts finds the family by process
// group, session and parent tree instead.
//
// Layout: <the server's own cgroup>/codex-exec-server.<pid>/<n>. A group whose program has closed
// and which is empty is kept for the next program (making and removing one costs several times
// what stepping in and out does), a few at most; groups left by a server that died are removed
// by the next one to start in the same place.
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { logger } from "../log.ts";

const log = logger("process");

const BASE_PREFIX = "codex-exec-server.";
const SWEEP_INTERVAL_MS = 200;
/** Empty groups kept for reuse. */
const SPARE_GROUPS = 16;

/**
 * One program's hold on a group. Once settled into the spare pool it is released: it no longer
 * reaches the directory, which the next program may be using.
 */
export class ProgramCgroup {
  readonly path: string;
  readonly #settle: (group: ProgramCgroup) => void;
  #isReleased = false;

  constructor(path: string, settle: (group: ProgramCgroup) => void) {
    this.path = path;
    this.#settle = settle;
  }

  /**
   * Its program has closed or been killed: the group is released now if it is empty, else as soon
   * as a sweep finds it empty (what the program left running keeps it until it dies or is killed).
   */
  settle(): void {
    if (!this.#isReleased) this.#settle(this);
  }

  /** Every live member, in this group and in any group a member made inside it. */
  members(): number[] {
    return this.#isReleased ? [] : groupMembers(this.path);
  }

  /** No live process in the group or below it. */
  isEmpty(): boolean {
    if (this.#isReleased) return true;
    try {
      return readFileSync(`${this.path}/cgroup.events`, "latin1").includes("populated 0");
    } catch {
      return true; // removed
    }
  }

  /**
   * SIGKILL every member (the kernel's cgroup.kill). Never kills the server: were it still inside
   * (it failed to step out after a spawn), only the others are killed, one by one.
   */
  kill(): number[] {
    const members = this.members();
    if (members.length === 0) return [];
    if (members.includes(process.pid)) {
      for (const pid of members) if (pid !== process.pid) killQuietly(pid);
      return members.filter((pid) => pid !== process.pid);
    }
    try {
      writeFileSync(`${this.path}/cgroup.kill`, "1");
    } catch (error) {
      log.warn("cgroup.kill failed; killing the members one by one", {
        path: this.path,
        error: String(error),
      });
      for (const pid of members) killQuietly(pid);
    }
    this.settle();
    return members;
  }

  /** This hold is over (the group was removed, or kept spare for another program). */
  release(): void {
    this.#isReleased = true;
  }

  get isReleased(): boolean {
    return this.#isReleased;
  }
}

/** The groups of this server: one per program, under one base group. */
export class ProgramCgroups {
  readonly #base: string;
  /** The server's own group's cgroup.procs, open for writing: how it steps back after a spawn. */
  readonly #homeProcs: number;
  /** Groups a program holds (or held, and has not yet been found empty). */
  readonly #groups = new Set<ProgramCgroup>();
  /** Groups waiting to be empty before they are released. */
  readonly #settling = new Set<ProgramCgroup>();
  /** Empty groups for the next programs. */
  readonly #spare: string[] = [];
  #sweeper: Timer | null = null;
  #next = 0;
  #isBroken = false;
  #isDisposed = false;

  private constructor(base: string, homeProcs: number) {
    this.#base = base;
    this.#homeProcs = homeProcs;
  }

  /**
   * Groups under the server's own cgroup v2 group, when it can make them and move itself in and
   * out (proved once here, with a probe group); null where it cannot. "auto": only where the
   * hierarchy is mounted with favordynmods. Without it, a move after a pause waits for a kernel
   * grace period (the rwsem every migration takes has gone back to its fast, reader-favouring
   * state): several ms added to the spawn of a program that does not follow another closely.
   */
  static open(mode: "auto" | "on" = "on"): ProgramCgroups | null {
    if (process.platform !== "linux") return null;
    const mount = ownCgroupMount();
    if (!mount) return null;
    const home = mount.directory;
    // Whatever this server does, what a dead one left is cleaned up.
    removeStaleBases(home);
    if (mode === "auto" && !mount.favorsDynamicChanges) return null;
    const base = `${home}/${BASE_PREFIX}${process.pid}`;
    let homeProcs: number;
    try {
      homeProcs = openSync(`${home}/cgroup.procs`, "w");
    } catch {
      return null;
    }
    try {
      mkdirSync(base, { recursive: true });
      const groups = new ProgramCgroups(base, homeProcs);
      const probe = groups.#enter(true);
      if (probe) {
        groups.#leave(probe);
        const canKill = isFile(`${probe.path}/cgroup.kill`);
        groups.#groups.delete(probe);
        probe.release();
        if (canKill && !groups.#isBroken && removeTree(probe.path)) return groups;
      }
    } catch {
      // Not ours to use.
    }
    closeSync(homeProcs);
    removeTree(base);
    return null;
  }

  get basePath(): string {
    return this.#base;
  }

  /**
   * Run `spawn` with the server inside a group of its own, so what it spawns starts there; the
   * server steps back to its own group before returning, whatever `spawn` did. Where no group can
   * be made (a limit such as cgroup.max.descendants), `spawn` runs without one.
   */
  spawnInto<T>(spawn: () => T): { value: T; group: ProgramCgroup | null } {
    const group = this.#isBroken || this.#isDisposed ? null : this.#enter();
    if (!group) return { value: spawn(), group: null };
    try {
      return { value: spawn(), group };
    } catch (error) {
      // Nothing started in it; the server leaves it first (below), so it is empty by the next sweep.
      group.settle();
      throw error;
    } finally {
      this.#leave(group);
    }
  }

  /** A group with the server in it (a spare one, or new), or null (logged) where none can be had. */
  #enter(isProbe = false): ProgramCgroup | null {
    const spare = this.#spare.pop();
    const path = spare ?? `${this.#base}/${(this.#next++).toString(36)}`;
    try {
      if (!spare) mkdirSync(path);
      writeFileSync(`${path}/cgroup.procs`, String(process.pid));
    } catch (error) {
      removeTree(path);
      if (isProbe) return null;
      log.warn("could not make a cgroup for a program; its family is found by the process tree", {
        path,
        error: String(error),
      });
      return null;
    }
    const group = new ProgramCgroup(path, (g) => this.#settle(g));
    this.#groups.add(group);
    return group;
  }

  #leave(group: ProgramCgroup): void {
    try {
      writeSync(this.#homeProcs, String(process.pid));
    } catch (error) {
      // Not expected (the probe moved the same way): stop using groups. kill() spares the server.
      this.#isBroken = true;
      log.error("could not leave a program's cgroup; process families fall back to the process tree", {
        path: group.path,
        error: String(error),
      });
    }
  }

  #settle(group: ProgramCgroup): void {
    if (this.#release(group)) return;
    this.#settling.add(group);
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => {
      for (const pending of this.#settling) if (this.#release(pending)) this.#settling.delete(pending);
      if (this.#settling.size > 0) return;
      clearInterval(this.#sweeper ?? undefined);
      this.#sweeper = null;
    }, SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  /** An empty group's hold ends: the group is kept spare, or removed. False while it is busy. */
  #release(group: ProgramCgroup): boolean {
    if (!group.isEmpty()) return false;
    const keep = !this.#isDisposed && !this.#isBroken && this.#spare.length < SPARE_GROUPS;
    if (!keep && !removeTree(group.path)) return false;
    if (keep) this.#spare.push(group.path);
    group.release();
    this.#groups.delete(group);
    return true;
  }

  /** Kill what is left in every group (returns the pids), and release the groups that are empty. */
  close(): number[] {
    const killed = [...this.#groups].flatMap((group) => group.kill());
    for (const group of this.#groups) this.#release(group);
    return killed;
  }

  /** After close() and the deaths it caused: remove every group, the base last. */
  dispose(): void {
    if (this.#isDisposed) return;
    this.#isDisposed = true;
    this.close();
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    this.#settling.clear();
    for (const path of this.#spare.splice(0)) removeTree(path);
    if (this.#groups.size === 0) removeTree(this.#base);
    closeSync(this.#homeProcs);
  }
}

/** The directory of this process's cgroup v2 group, from /proc/self/cgroup and the mount table. */
export function ownCgroupDirectory(): string | null {
  return ownCgroupMount()?.directory ?? null;
}

/** That directory, and whether its hierarchy is mounted with favordynmods. */
export function ownCgroupMount(): { directory: string; favorsDynamicChanges: boolean } | null {
  let own: string | undefined;
  let mounts: string;
  try {
    own = readFileSync("/proc/self/cgroup", "utf8")
      .split("\n")
      .find((line) => line.startsWith("0::"))
      ?.slice(3);
    mounts = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return null;
  }
  if (!own?.startsWith("/")) return null;
  for (const line of mounts.split("\n")) {
    const [before, after] = line.split(" - ");
    if (!after?.startsWith("cgroup2 ")) continue;
    const fields = before?.split(" ") ?? [];
    const root = unescapeMountField(fields[3] ?? "");
    const mountPoint = unescapeMountField(fields[4] ?? "");
    // The mount shows the hierarchy from `root` down (a cgroup namespace shows "/").
    if (root !== "/" && own !== root && !own.startsWith(`${root}/`)) continue;
    const relative = root === "/" ? own : own.slice(root.length);
    const directory = `${mountPoint}${relative === "/" ? "" : relative}`;
    const options = `${fields[5] ?? ""},${after.split(" ")[2] ?? ""}`.split(",");
    if (isFile(`${directory}/cgroup.procs`))
      return { directory, favorsDynamicChanges: options.includes("favordynmods") };
  }
  return null;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

function groupMembers(path: string): number[] {
  const members: number[] = [];
  try {
    for (const line of readFileSync(`${path}/cgroup.procs`, "latin1").split("\n")) {
      if (line !== "") members.push(Number(line));
    }
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) members.push(...groupMembers(`${path}/${entry.name}`));
    }
  } catch {
    // Removed meanwhile.
  }
  return members;
}

/** rmdir a group and the groups inside it, deepest first; true when it is gone. */
function removeTree(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return true;
    // EBUSY: a member is alive, or a group is inside (made by a program: a nested server).
    if (code !== "EBUSY") return false;
  }
  try {
    const inner = readdirSync(path, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    if (inner.length === 0 || !inner.every((entry) => removeTree(`${path}/${entry.name}`))) return false;
    rmdirSync(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT";
  }
}

/**
 * The base groups of servers that died without cleaning up (SIGKILL): what their programs left is
 * killed, as they would have done, and the groups are removed (those still dying, by a later start).
 */
function removeStaleBases(home: string): void {
  let names: string[];
  try {
    names = readdirSync(home);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(BASE_PREFIX)) continue;
    const pid = Number(name.slice(BASE_PREFIX.length));
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    const stale = `${home}/${name}`;
    try {
      writeFileSync(`${stale}/cgroup.kill`, "1");
    } catch {
      // Not ours to kill after all; left as it is.
    }
    removeTree(stale);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}
