// Finding and killing every process a managed program left behind, by the process tree: where
// the server could not give the program a cgroup of its own (cgroup.ts), its family is its process
// group, its session (the program leads both) and its descendants by parent pid. What leaves the
// session with setsid() and is then orphaned is out of reach here: the server, a subreaper, adopts
// it (reaper.ts) and kills it when it shuts down. Linux reads /proc; elsewhere only the process
// group is reachable.
import { readdirSync, readFileSync } from "node:fs";

const HAS_PROC = (() => {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
})();

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** The session id. */
  sid: number;
  state: string;
}

/** Every process visible in /proc, with its parent, group and state (Z for a zombie). */
export function listProcesses(): ProcessInfo[] {
  if (!HAS_PROC) return [];
  const result: ProcessInfo[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      // The command name may hold spaces and parentheses: fields start after the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      result.push({
        pid,
        ppid: Number(fields[1]),
        pgid: Number(fields[2]),
        sid: Number(fields[3]),
        state: fields[0] ?? "?",
      });
    } catch {
      // Gone while we looked.
    }
  }
  return result;
}

/** The live processes that match `isRoot`, and their descendants, in one snapshot of /proc. */
export function treesOf(isRoot: (p: ProcessInfo) => boolean, processes = listProcesses()): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const members = new Set<number>();
  const visit = (pid: number) => {
    if (members.has(pid) || pid === process.pid) return;
    members.add(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  for (const p of processes) {
    if (p.state !== "Z" && p.pid !== process.pid && isRoot(p)) visit(p.pid);
  }
  return [...members];
}

/**
 * The live members of a program's family. Descent by parent pid starts at `leaderPid` only while
 * the leader is alive (`isLeaderAlive`): a reaped pid can be reused. The kernel never hands out a
 * pid that is still some group's or session's id, so the group and session tests are safe after.
 */
export function familyOf(leaderPid: number, isLeaderAlive: boolean, processes = listProcesses()): number[] {
  return treesOf(
    (p) => (isLeaderAlive && p.pid === leaderPid) || p.pgid === leaderPid || p.sid === leaderPid,
    processes,
  );
}

/**
 * SIGKILL the whole family, rescanning until no member is left (a member may fork while we kill).
 * Returns the pids that were killed. A family with nothing left is not scanned again.
 */
export function killFamily(
  leaderPid: number,
  isLeaderAlive: boolean,
  processes: ProcessInfo[] = listProcesses(),
): number[] {
  // Found before anything dies: a dead member's children are reparented (to us) at once, and the
  // tree no longer leads from the leader to them. `processes`: one snapshot for many families.
  const found = familyOf(leaderPid, isLeaderAlive, processes);
  if (HAS_PROC && found.length === 0 && !isLeaderAlive) return [];
  try {
    process.kill(-leaderPid, "SIGKILL");
  } catch {
    // The group is gone already.
  }
  return killUntilGone(() => familyOf(leaderPid, isLeaderAlive), found);
}

/** SIGKILL `first`, then what `find` finds, and again until it finds nothing new and alive. */
export function killUntilGone(find: () => number[], first: number[] = [], maxRounds = 8): number[] {
  const killed = new Set<number>();
  for (let round = 0; round < maxRounds && HAS_PROC; round++) {
    const found = round === 0 && first.length > 0 ? first : find();
    const members = found.filter((pid) => !killed.has(pid) || isRunning(pid));
    if (members.length === 0) break;
    for (const pid of members) {
      try {
        process.kill(pid, "SIGKILL");
        killed.add(pid);
      } catch {
        // Exited meanwhile.
      }
    }
  }
  return [...killed];
}

/** A process's state letter from /proc (Z for a zombie), or null once it is gone. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.charAt(stat.lastIndexOf(")") + 2);
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== null && state !== "Z";
}
