// The cgroup per program (src/process/cgroup.ts), on this host's real cgroup v2 hierarchy where it
// lets us make groups; where it does not, open() must say so (null) rather than half-work.
import { expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { ownCgroupDirectory, ProgramCgroups } from "../../src/process/cgroup.ts";
import { processState } from "../../src/process/family.ts";
import { hostAllowsCgroups } from "../support/cgroup.ts";
import { waitFor } from "../support/wait.ts";

/** Running (a zombie waiting for its reaper is not). */
const isAlive = (pid: number) => ![null, "Z"].includes(processState(pid));

test("a program and what it forks are born in its group; one kill ends them; a reused group is not reached through an old hold", async () => {
  const groups = ProgramCgroups.open();
  expect(groups !== null).toBe(hostAllowsCgroups());
  if (!groups) return;
  try {
    // Out of its group's process group and session, orphaned at once: still in the cgroup.
    const { value: first, group: held } = groups.spawnInto(() =>
      Bun.spawn(["sh", "-c", "setsid sleep 30 >/dev/null 2>&1 & echo $!"], { stdout: "pipe" }),
    );
    const escapee = Number((await new Response(first.stdout).text()).trim());
    await first.exited;
    expect(held).not.toBeNull();
    const group = held as NonNullable<typeof held>;
    await waitFor(() => group.members().includes(escapee), { label: "the orphan in the group" });
    expect(group.members()).not.toContain(process.pid);
    expect(group.isEmpty()).toBe(false);
    expect(group.kill()).toEqual([escapee]);
    await waitFor(() => group.isEmpty(), { label: "the group empty" });
    expect(isAlive(escapee)).toBe(false);
    group.settle();
    expect(group.isReleased).toBe(true);

    // The next program gets the spare group; the old hold reaches nothing.
    const { value: second, group: next } = groups.spawnInto(() => Bun.spawn(["sleep", "30"]));
    expect(next?.path).toBe(group.path);
    expect(group.kill()).toEqual([]);
    expect(group.members()).toEqual([]);
    expect(next?.members()).toEqual([second.pid]);
    expect(isAlive(second.pid)).toBe(true);
    next?.kill();
    await second.exited;
  } finally {
    groups.dispose();
  }
  expect(existsSync(groups.basePath)).toBe(false);
});

test("the groups a dead server left are removed, and what ran in them killed, by the next to open", async () => {
  const own = ownCgroupDirectory();
  if (!hostAllowsCgroups() || !own) {
    expect(ProgramCgroups.open()).toBeNull();
    return;
  }
  // A pid no process has now: one that has just been reaped.
  const gone = Bun.spawn(["true"]);
  await gone.exited;
  const stale = `${own}/codex-exec-server.${gone.pid}`;
  mkdirSync(`${stale}/0`, { recursive: true });
  const left = Bun.spawn(["sleep", "30"]);
  writeFileSync(`${stale}/0/cgroup.procs`, String(left.pid));
  try {
    // Whichever mode: auto cleans up even where it then makes no groups of its own.
    ProgramCgroups.open("auto")?.dispose();
    expect(await left.exited).not.toBe(0);
    await waitFor(
      () => {
        ProgramCgroups.open("auto")?.dispose();
        return !existsSync(stale);
      },
      { label: "the stale groups removed" },
    );
  } finally {
    left.kill("SIGKILL");
  }
});
