// The process table of one session, doing the real work on this host.
import { LogLevels } from "consola/core";
import { InvalidParams, InvalidRequest } from "../errors.ts";
import { absolutePath } from "../fs/path.ts";
import { logger } from "../log.ts";
import type {
  ProcessStartResult,
  ProcessTerminateResult,
  SignalName,
  TerminalSize,
  WriteStatus,
} from "../protocol/process.ts";
import type { ProgramCgroup } from "./cgroup.ts";
import { Child, type ChildHooks } from "./child.ts";
import { listProcesses } from "./family.ts";
import { type ProcessHandle, type RunResult, startParams, startProcess } from "./handle.ts";
import type { DeliveryFlow } from "./output-hold.ts";
import type {
  ExecProcess,
  ProcessEvent,
  ProcessEventListener,
  ReadOptions,
  ReadResult,
  StartOptions,
  StartParams,
} from "./types.ts";

export interface LocalProcessOptions {
  /** Output kept per process for process/read. */
  retainedOutputBytes: number;
  /**
   * How long a closed process stays readable before its id is forgotten. The clock runs while a
   * client is attached (a session's detached time is bounded by its own TTL): a client that
   * resumes finds what closed while it was away, for this long again.
   */
  closedRetentionMs: number;
  /** Live processes at once; as many closed ones are kept readable, within closedRetainedBytes. */
  maxProcesses: number;
  /** Output of closed processes kept per session; past it the oldest closed are forgotten. */
  closedRetainedBytes: number;
  /** How long a held program that has been read waits for the next process/read (output-hold.ts). */
  readPatienceMs: number;
  /** How long a held program never read waits before notified output counts as read. */
  firstReadPatienceMs: number;
  /** Added to this table's lifecycle log lines (e.g. the session's short id). */
  logFields?: Record<string, string>;
  /**
   * Give evicted output's memory back at once (ReadMemory in output-buffer.ts). Only where every
   * event is consumed in the tick it is emitted and every read is encoded as it is answered: the
   * server's sessions. A caller of start() may keep chunks for as long as it likes.
   */
  releasesEvictedOutput?: boolean;
}

export const DEFAULT_PROCESS_OPTIONS: LocalProcessOptions = {
  retainedOutputBytes: 1024 * 1024,
  closedRetentionMs: 30_000,
  maxProcesses: 1024,
  closedRetainedBytes: 64 * 1024 * 1024,
  readPatienceMs: 5000,
  firstReadPatienceMs: 1000,
};

const log = logger("process");

export class LocalProcess implements ExecProcess {
  readonly #options: LocalProcessOptions;
  readonly #children = new Map<string, Child>();
  readonly #listeners = new Set<ProcessEventListener>();
  /** Each closed process's forgetting, while a client is attached (see closedRetentionMs). */
  readonly #forgetTimers = new Map<Child, Timer>();
  #isDetached = false;
  /** Closed processes still readable, oldest closed first. */
  readonly #closed = new Set<Child>();
  #closedBytes = 0;
  /** Cgroups of forgotten processes that still hold what their program left running. */
  readonly #lingering = new Set<ProgramCgroup>();
  /** When each running program started, for its exit line's duration. */
  readonly #startedAt = new Map<string, number>();
  #isShutDown = false;
  #flow: DeliveryFlow | null = null;
  /** A process of this session was released: the client reads output from the notifications. */
  #readsNotifications = false;
  #hasRead = false;

  /** What every child of this table is given: nothing in it is one child's (made once, not per spawn). */
  readonly #childHooks: ChildHooks;

  constructor(options: Partial<LocalProcessOptions> = {}) {
    this.#options = { ...DEFAULT_PROCESS_OPTIONS, ...options };
    this.#childHooks = {
      retainedOutputBytes: this.#options.retainedOutputBytes,
      releasesEvictedOutput: this.#options.releasesEvictedOutput,
      readPatienceMs: this.#options.readPatienceMs,
      firstReadPatienceMs: this.#options.firstReadPatienceMs,
      flow: () => this.#flow,
      readsNotifications: () => this.#readsNotifications,
      hasSessionRead: () => this.#hasRead,
      releasedByPatience: () => {
        this.#readsNotifications = true;
      },
      onEvent: (event) => this.#emit(event),
      onClosed: (closed) => this.#forgetLater(closed),
    };
  }

  start(options: StartOptions): Promise<ProcessHandle> {
    return startProcess(this, startParams(options, process.cwd()), async (params) => this.launch(params));
  }

  /** The session's client takes output from the notifications (see output-hold.ts). */
  readsFromNotifications(): void {
    this.#readsNotifications = true;
  }

  async run(options: StartOptions): Promise<RunResult> {
    return (await this.start(options)).output();
  }

  /**
   * Spawn with every param given (the server's process/start); nothing is kept for a handle.
   * Synchronous, so the server answers in the same tick (a refusal is thrown).
   */
  launch(options: StartParams): ProcessStartResult {
    if (options.argv.length === 0) throw new InvalidParams("argv must not be empty");
    if (this.#isShutDown) throw new InvalidRequest("the session has ended");
    // Live processes count; a closed one only holds retained output, bounded on its own.
    if (this.#children.size - this.#closed.size >= this.#options.maxProcesses) {
      throw new InvalidRequest(`too many processes in this session (limit ${this.#options.maxProcesses})`);
    }
    if (this.#children.has(options.processId)) {
      throw new InvalidRequest(`process ${options.processId} already exists`);
    }
    // A start in the 0.169+ dialect (it carries `metadata`) comes from a client that takes output
    // from the notifications and reads only to fill a gap: its programs start released, without
    // the first-read patience a 0.125 client (which reads after each notification) is given.
    if (options.metadata != null) this.#readsNotifications = true;
    // Spawning is synchronous, so the id is taken before anything else can run.
    const child = new Child({ ...options, cwd: absolutePath(options.cwd, "cwd") }, this.#childHooks);
    this.#children.set(options.processId, child);
    // argv[0] only: arguments and the environment may carry secrets. Lifecycle lines are built
    // only when they are written (two per process).
    if (log.level >= LogLevels.info) {
      this.#startedAt.set(options.processId, performance.now());
      log.info("process started", {
        ...this.#options.logFields,
        processId: options.processId,
        program: options.argv[0],
        tty: options.tty,
      });
    }
    return { processId: options.processId, sandboxType: child.sandboxType };
  }

  async read(options: ReadOptions): Promise<ReadResult> {
    const child = this.#child(options.processId);
    this.#hasRead = true;
    return child.read(options);
  }

  async write(processId: string, bytes: Uint8Array, writeId?: string): Promise<WriteStatus> {
    return this.writeNow(processId, bytes, writeId);
  }

  /** write() answered at once (the server's process/write); a failure is thrown. */
  writeNow(processId: string, bytes: Uint8Array, writeId?: string): WriteStatus {
    const child = this.#children.get(processId);
    return child ? child.write(bytes, writeId) : "unknownProcess";
  }

  async signal(processId: string, signal: SignalName): Promise<void> {
    this.#children.get(processId)?.signal(signal);
  }

  async closeStdin(processId: string): Promise<WriteStatus> {
    const child = this.#children.get(processId);
    return child ? child.closeStdin() : "unknownProcess";
  }

  async resize(processId: string, size: TerminalSize): Promise<void> {
    this.#child(processId).resize(size);
  }

  async terminate(processId: string): Promise<ProcessTerminateResult> {
    return { running: this.#children.get(processId)?.terminate() ?? false };
  }

  /**
   * The connection the events go to decides when pipes are read: while its congestion() is a
   * promise, no pipe is read (the programs block on write), and it tells which notifications have
   * reached its client (output-hold.ts). Null: detached; each program is still held at its
   * retention limit.
   */
  setFlowControl(flow: DeliveryFlow | null): void {
    for (const child of this.#children.values()) child.beforeAttachmentChange();
    this.#flow = flow;
    for (const child of this.#children.values()) child.attachmentChanged();
    this.#isDetached = flow === null;
    if (this.#isDetached) {
      for (const timer of this.#forgetTimers.values()) clearTimeout(timer);
      this.#forgetTimers.clear();
    } else for (const child of this.#closed) this.#forgetAfterRetention(child);
  }

  /** The output notification of a process at `seq` was dropped (a stalled reader). */
  undelivered(processId: string, seq: number): void {
    this.#children.get(processId)?.undelivered(seq);
  }

  /** Whether a process's program waits for its client to read its output. */
  isHeld(processId: string): boolean {
    return this.#children.get(processId)?.isHeld ?? false;
  }

  subscribe(listener: ProcessEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Pids of the children whose output has not closed yet (for shutdown accounting and tests). */
  livePids(): number[] {
    return [...this.#children.values()].filter((child) => !child.isClosed).map((child) => child.pid);
  }

  /** Kill every program's family and forget every process; returns the pids killed. */
  /**
   * Environment.local().close(): kill every program's family, wait (bounded) for their closes to
   * be delivered, so handles end as their processes did, then shut down.
   */
  async close(timeoutMs = 2000): Promise<void> {
    const open = [...this.#children.values()].filter((child) => !child.isClosed);
    const closed = new Promise<void>((resolve) => {
      const waiting = new Set(open.map((child) => child.processId));
      if (waiting.size === 0) return resolve();
      const unsubscribe = this.subscribe((event) => {
        if (event.type !== "closed" || !waiting.delete(event.processId) || waiting.size > 0) return;
        unsubscribe();
        resolve();
      });
    });
    for (const child of open) child.killFamily();
    let timer: Timer | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.shutdown();
  }

  shutdown(): number[] {
    this.#isShutDown = true;
    // One look at the process table for every family: most are of programs long closed.
    const processes = listProcesses();
    const killed = [...this.#children.values()].flatMap((child) => child.killFamily(processes));
    for (const group of this.#lingering) killed.push(...group.kill());
    this.#lingering.clear();
    for (const timer of this.#forgetTimers.values()) clearTimeout(timer);
    this.#forgetTimers.clear();
    this.#listeners.clear();
    return killed;
  }

  #child(processId: string): Child {
    const child = this.#children.get(processId);
    if (!child) throw new InvalidRequest(`unknown process id ${processId}`);
    return child;
  }

  #emit(event: ProcessEvent): void {
    if (event.type === "exited") this.#logExit(event);
    for (const listener of this.#listeners) listener(event);
  }

  #logExit(event: Extract<ProcessEvent, { type: "exited" }>): void {
    const startedAt = this.#startedAt.get(event.processId);
    this.#startedAt.delete(event.processId);
    if (log.level < LogLevels.info) return;
    log.info("process exited", {
      ...this.#options.logFields,
      processId: event.processId,
      exitCode: event.exitCode,
      signal: event.signal,
      durationMs: startedAt === undefined ? undefined : Math.round(performance.now() - startedAt),
    });
  }

  #forgetLater(child: Child): void {
    this.#closed.add(child);
    this.#closedBytes += child.retainedBytes;
    const { maxProcesses, closedRetainedBytes } = this.#options;
    // The newest closed is kept whatever its size: its client is likely still reading it.
    for (const oldest of this.#closed) {
      if (oldest === child) break;
      if (this.#closed.size <= maxProcesses && this.#closedBytes <= closedRetainedBytes) break;
      this.#forget(oldest);
    }
    if (!this.#isDetached) this.#forgetAfterRetention(child);
  }

  #forgetAfterRetention(child: Child): void {
    if (this.#forgetTimers.has(child)) return;
    const timer = setTimeout(() => {
      this.#forgetTimers.delete(child);
      this.#forget(child);
    }, this.#options.closedRetentionMs);
    timer.unref();
    this.#forgetTimers.set(child, timer);
  }

  #forget(child: Child): void {
    clearTimeout(this.#forgetTimers.get(child));
    this.#forgetTimers.delete(child);
    if (!this.#closed.delete(child)) return;
    this.#closedBytes -= child.retainedBytes;
    if (this.#children.get(child.processId) === child) this.#children.delete(child.processId);
    // Its id is gone, but what it left running is still this session's, killed when it ends.
    const group = child.cgroup;
    if (group && !group.isReleased) this.#lingering.add(group);
    for (const lingering of this.#lingering) if (lingering.isReleased) this.#lingering.delete(lingering);
  }
}
