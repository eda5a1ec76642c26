// Finding and killing every process a managed program left behind. A program's family is its
// process group, its descendants by parent pid, and every process that still carries its scope
// token in the environment: the last catches daemons that called setsid() and lost their parent.
// Linux reads /proc; elsewhere only the process group is reachable.
import { readdirSync, readFileSync } from "node:fs";

/** Set in every managed program's environment; its value is unique to that program. */
export const SCOPE_VARIABLE = "CODEX_EXEC_SERVER_SCOPE";

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
      result.push({ pid, ppid: Number(fields[1]), pgid: Number(fields[2]), state: fields[0] ?? "?" });
    } catch {
      // Gone while we looked.
    }
  }
  return result;
}

/** Whether a process carries the scope token (random, so a plain search cannot match by accident). */
function carriesScope(pid: number, needle: Buffer): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`).includes(needle);
  } catch {
    return false;
  }
}

/**
 * The live members of a program's family, found in one snapshot of /proc. Descent by parent pid
 * starts at `leaderPid` only while the leader is alive (`isLeaderAlive`): a reaped pid can be reused.
 */
export function familyOf(
  leaderPid: number,
  scope: string,
  isLeaderAlive: boolean,
  processes = listProcesses(),
): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const members = new Set<number>();
  const visit = (pid: number) => {
    if (members.has(pid) || pid === process.pid) return;
    members.add(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  const needle = Buffer.from(`${SCOPE_VARIABLE}=${scope}`);
  for (const p of processes) {
    if (p.state === "Z" || p.pid === process.pid) continue;
    // The kernel never hands out a pid that is still some group's id, so the group test is safe.
    const isLeader = isLeaderAlive && p.pid === leaderPid;
    if (isLeader || p.pgid === leaderPid || carriesScope(p.pid, needle)) visit(p.pid);
  }
  return [...members];
}

/**
 * SIGKILL the whole family, rescanning until no member is left (a member may fork while we kill).
 * Returns the pids that were killed.
 */
export function killFamily(
  leaderPid: number,
  scope: string,
  isLeaderAlive: boolean,
  maxRounds = 8,
): number[] {
  try {
    process.kill(-leaderPid, "SIGKILL");
  } catch {
    // The group is gone already.
  }
  const killed = new Set<number>();
  for (let round = 0; round < maxRounds && HAS_PROC; round++) {
    const members = familyOf(leaderPid, scope, isLeaderAlive).filter(
      (pid) => !killed.has(pid) || isRunning(pid),
    );
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

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
