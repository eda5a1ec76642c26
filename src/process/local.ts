// The process table of one session, doing the real work on this host.
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
import { Child } from "./child.ts";
import type {
  ExecProcess,
  ProcessEvent,
  ProcessEventListener,
  ReadOptions,
  ReadResult,
  StartOptions,
} from "./types.ts";

export interface LocalProcessOptions {
  /** Output kept per process for process/read. */
  retainedOutputBytes: number;
  /** How long a closed process stays readable before its id is forgotten. */
  closedRetentionMs: number;
  /** Processes held at once, running or retained. */
  maxProcesses: number;
  /** How long a program with a full retention waits for a process/read (see read-pacer.ts). */
  readPatienceMs: number;
  /** Added to this table's lifecycle log lines (e.g. the session's short id). */
  logFields?: Record<string, string>;
}

export const DEFAULT_PROCESS_OPTIONS: LocalProcessOptions = {
  retainedOutputBytes: 1024 * 1024,
  closedRetentionMs: 30_000,
  maxProcesses: 1024,
  readPatienceMs: 5000,
};

const log = logger("process");

export class LocalProcess implements ExecProcess {
  readonly #options: LocalProcessOptions;
  readonly #children = new Map<string, Child>();
  readonly #listeners = new Set<ProcessEventListener>();
  readonly #forgetTimers = new Set<Timer>();
  /** When each running program started, for its exit line's duration. */
  readonly #startedAt = new Map<string, number>();
  #isShutDown = false;
  #flowControl: (() => Promise<void> | undefined) | null = null;

  constructor(options: Partial<LocalProcessOptions> = {}) {
    this.#options = { ...DEFAULT_PROCESS_OPTIONS, ...options };
  }

  async start(options: StartOptions): Promise<ProcessStartResult> {
    if (options.argv.length === 0) throw new InvalidParams("argv must not be empty");
    if (this.#isShutDown) throw new InvalidRequest("the session has ended");
    if (this.#children.size >= this.#options.maxProcesses) {
      throw new InvalidRequest(`too many processes in this session (limit ${this.#options.maxProcesses})`);
    }
    if (this.#children.has(options.processId)) {
      throw new InvalidRequest(`process ${options.processId} already exists`);
    }
    // Spawning is synchronous, so the id is taken before anything else can run.
    const child = new Child(
      { ...options, cwd: absolutePath(options.cwd, "cwd") },
      {
        retainedOutputBytes: this.#options.retainedOutputBytes,
        readPatienceMs: this.#options.readPatienceMs,
        beforeRead: () => this.#flowControl?.(),
        onEvent: (event) => this.#emit(event),
        onClosed: (closed) => this.#forgetLater(closed),
      },
    );
    this.#children.set(options.processId, child);
    this.#startedAt.set(options.processId, performance.now());
    // argv[0] only: arguments and the environment may carry secrets.
    log.info("process started", {
      ...this.#options.logFields,
      processId: options.processId,
      program: options.argv[0],
      tty: options.tty,
    });
    return { processId: options.processId, sandboxType: child.sandboxType };
  }

  async read(options: ReadOptions): Promise<ReadResult> {
    return this.#child(options.processId).read(options);
  }

  async write(processId: string, bytes: Uint8Array, writeId?: string): Promise<WriteStatus> {
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
   * Who consumes the events decides when pipes are read: while `gate` returns a promise, no pipe
   * is read (the programs block on write). Null: read freely (retention bounds what is kept).
   */
  setFlowControl(gate: (() => Promise<void> | undefined) | null): void {
    this.#flowControl = gate;
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
  shutdown(): number[] {
    this.#isShutDown = true;
    const killed = [...this.#children.values()].flatMap((child) => child.killFamily());
    for (const timer of this.#forgetTimers) clearTimeout(timer);
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
    if (event.type === "exited") {
      const startedAt = this.#startedAt.get(event.processId);
      this.#startedAt.delete(event.processId);
      log.info("process exited", {
        ...this.#options.logFields,
        processId: event.processId,
        exitCode: event.exitCode,
        signal: event.signal,
        durationMs: startedAt === undefined ? undefined : Math.round(performance.now() - startedAt),
      });
    }
    for (const listener of this.#listeners) listener(event);
  }

  #forgetLater(child: Child): void {
    const timer = setTimeout(() => {
      this.#forgetTimers.delete(timer);
      if (this.#children.get(child.processId) === child) this.#children.delete(child.processId);
    }, this.#options.closedRetentionMs);
    timer.unref();
    this.#forgetTimers.add(timer);
  }
}
