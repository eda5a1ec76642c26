// The server as a child subreaper (Linux): orphaned descendants of managed programs are reparented
// to us instead of to init, so none escapes the family search, and we reap them when they die
// (init in a container often does not). Only processes Bun did not spawn are reaped here: Bun
// waits for its own children, and reaping one first would lose its exit status.
import { readdirSync, readFileSync } from "node:fs";
import { killUntilGone, listProcesses, processState, treesOf } from "./family.ts";

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];

interface Libc {
  prctl(option: number, a: number, b: number, c: number, d: number): number;
  waitpid(pid: number, status: null, options: number): number;
}

function openLibc(): Libc | null {
  if (process.platform !== "linux") return null;
  // bun:ffi is loaded only here, on Linux, and only when reaping is asked for.
  const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
  for (const name of LIBC_NAMES) {
    try {
      const { symbols } = dlopen(name, {
        prctl: {
          args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64],
          returns: FFIType.i32,
        },
        waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
      });
      return symbols as unknown as Libc;
    } catch {
      // Try the next name.
    }
  }
  return null;
}

export class OrphanReaper {
  readonly #libc: Libc | null;
  readonly #isOwnChild: (pid: number) => boolean;
  #timer: Timer | null = null;

  /** `isOwnChild`: whether Bun spawned this pid and will reap it itself. */
  constructor(isOwnChild: (pid: number) => boolean) {
    this.#isOwnChild = isOwnChild;
    const libc = openLibc();
    this.#libc = libc && libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === 0 ? libc : null;
  }

  get isActive(): boolean {
    return this.#libc !== null;
  }

  /** Reap every adopted orphan that has died. Returns how many were reaped. */
  reap(): number {
    const libc = this.#libc;
    if (!libc) return 0;
    let reaped = 0;
    for (const pid of ownChildren()) {
      if (this.#isOwnChild(pid) || processState(pid) !== "Z") continue;
      if (libc.waitpid(pid, null, WNOHANG) === pid) reaped++;
    }
    return reaped;
  }

  /**
   * SIGKILL every adopted orphan that is alive, and its descendants: only our programs' families
   * are reparented to us, so at shutdown these are what escaped them. Returns the pids.
   */
  killAdopted(): number[] {
    if (!this.#libc) return [];
    return killUntilGone(() => treesOf((p) => p.ppid === process.pid && !this.#isOwnChild(p.pid)));
  }

  start(intervalMs: number): void {
    if (!this.#libc || this.#timer) return;
    this.#timer = setInterval(() => this.reap(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/**
 * This process's children: from each thread's children list where the kernel keeps one (a look
 * at a dozen small files, not the whole process table), else from the process table.
 */
function ownChildren(): number[] {
  try {
    const children: number[] = [];
    for (const tid of readdirSync("/proc/self/task")) {
      const list = readFileSync(`/proc/self/task/${tid}/children`, "latin1").trim();
      if (list !== "") for (const pid of list.split(" ")) children.push(Number(pid));
    }
    return children;
  } catch {
    return listProcesses()
      .filter((p) => p.ppid === process.pid)
      .map((p) => p.pid);
  }
}
