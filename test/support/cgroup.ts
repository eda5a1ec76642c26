// What the cgroup tests ask of the host, decided apart from the code under test.
import { accessSync, constants } from "node:fs";
import { ownCgroupDirectory } from "../../src/process/cgroup.ts";

/** Whether this host lets us (and so the servers we start) make cgroup v2 groups under our own. */
export function hostAllowsCgroups(): boolean {
  const own = ownCgroupDirectory();
  try {
    if (!own) return false;
    accessSync(own, constants.W_OK);
    accessSync(`${own}/cgroup.procs`, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
