// One spawned program: its output retention, its seq counter, and the waiters of long polls.
// Every output chunk, the exit and the close each take the next seq; `closed` comes last, once the
// program has exited and every output stream has ended.
import { constants } from "node:os";
import type { Subprocess } from "bun";
import { InternalError, InvalidParams, InvalidRequest } from "../errors.ts";
import {
  type OutputStream,
  SIGNALS,
  type SignalName,
  type TerminalSize,
  type WriteStatus,
} from "../protocol/process.ts";
import { LINUX_SANDBOX_TYPE, sandboxedPids } from "../sandbox/launch.ts";
import type { ProgramCgroup } from "./cgroup.ts";
import { killFamily, type ProcessInfo } from "./family.ts";
import {
  OutputBuffer,
  OutputChunk,
  PTY_UNREAD_FACTOR,
  RELEASED_READ_BYTES,
  ReadMemory,
} from "./output-buffer.ts";
import { type HoldOptions, OutputHold } from "./output-hold.ts";
import type { StdinPipe } from "./pipes.ts";
import { type SpawnCallbacks, spawnChild } from "./spawn.ts";
import type { ProcessEvent, ReadOptions, ReadResult, StartParams } from "./types.ts";

export interface ChildHooks extends HoldOptions {
  retainedOutputBytes: number;
  /** Evicted output's memory is given back at once (see ReadMemory in output-buffer.ts). */
  releasesEvictedOutput?: boolean;
  onEvent(event: ProcessEvent): void;
  onClosed(child: Child): void;
}

/**
 * Output chunks are at most 32 KiB; the reference's are 8 KiB (its read size). Every chunk is a
 * notification, and a Codex client answers each notification with a process/read, so a quarter
 * as many chunks is a quarter of the messages for both: pipe output 257 → 328 MB/s against the
 * reference's 148 in one run (bench/RESULTS.md; 16 KiB gave 292, 64 KiB no more than 32). Big
 * chunks once cost a Codex client the head of a large output (evicted from retention before its
 * first read); the output hold (output-hold.ts) has since made every program wait for its client
 * whatever the chunk size.
 */
export const MAX_CHUNK_BYTES = 32 * 1024;

/**
 * A process/read without maxBytes returns at most this much (whole chunks, at least one). A Codex
 * 0.125 client keeps 1 MiB of one read whole and drops the middle of anything larger (512 KiB from
 * the start, checked with a real client); the reference never answers more, its retention being
 * 1 MiB. Ours may hold a little more unread output (the pipe read in flight when the hold closes).
 */
export const MAX_READ_BYTES = 1024 * 1024;

/**
 * The longest a process/read waits (a larger waitMs is clamped): past 2^31 ms a timer fires at
 * once, which made a long poll a busy loop. A clamped poll answers with what it has, as any
 * poll at its timeout does, and the client polls again.
 */
export const MAX_WAIT_MS = 300_000;

/**
 * Stdin bytes a pipe or a PTY may have waiting for the program to read them. A write is answered
 * once its bytes are queued; one that would pass this (with something already waiting) is refused,
 * so a program that never reads its stdin cannot make the server hold a client's writes without end.
 */
export const MAX_STDIN_QUEUED_BYTES = 8 * 1024 * 1024;

/** How long a pipe program's exit waits for its pipes to end before it is reported anyway. */
const EXIT_DRAIN_MS = 50;

/** How many writeIds a process remembers. */
const MAX_WRITE_IDS = 4096;

/** How long a PTY's remaining output may take to arrive after its leader exits. */
const PTY_DRAIN_MS = 100;

/** ^D: a terminal in canonical mode turns it into end-of-file for the reader. */
const EOF_CHARACTER = new Uint8Array([4]);

interface ExitStatus {
  seq: number;
  exitCode: number;
  signal: string | null;
}

/** A Child is its program's SpawnCallbacks: the runtime's reads call it without a closure between. */
export class Child implements SpawnCallbacks {
  readonly processId: string;
  readonly isTty: boolean;
  /** What confined the program (`none` unless its process/start asked for a sandbox). */
  readonly sandboxType: string;
  readonly #hooks: ChildHooks;
  readonly #buffer: OutputBuffer;
  readonly #hold: OutputHold;
  readonly #waiters = new Set<() => void>();
  readonly #subprocess: Subprocess;
  /** The program's own cgroup, where the server could make one (see cgroup.ts). */
  readonly cgroup: ProgramCgroup | null;
  #stdin: StdinPipe | null;
  /**
   * Stdin bytes written and not yet taken by the program. A PTY's count is of the bytes written
   * since its terminal last drained: Bun's Terminal queues what the PTY does not take and tells
   * only when the queue is empty. A drain reported after a later write has queued forgets that
   * write, so one limit more may wait then; the next drain needs the whole queue written.
   */
  #stdinQueuedBytes = 0;
  #nextSeq = 1;
  #openStreams: number;
  #exit: ExitStatus | null = null;
  #closedSeq: number | null = null;
  /** Set while an exit waits for the pipes to end (see #afterExit). */
  #onStreamsEnded: (() => void) | null = null;
  /** The writeIds seen (the newest MAX_WRITE_IDS): a repeat is acknowledged, not written again. */
  readonly #writeIds = new Set<string>();

  constructor(options: StartParams, hooks: ChildHooks) {
    this.processId = options.processId;
    this.isTty = options.tty;
    this.#hooks = hooks;
    const { retainedOutputBytes } = hooks;
    this.#buffer = new OutputBuffer(
      retainedOutputBytes,
      options.tty ? PTY_UNREAD_FACTOR * retainedOutputBytes : Number.POSITIVE_INFINITY,
    );
    this.#hold = new OutputHold(this.#buffer, hooks);
    const spawned = spawnChild(options, this);
    this.#subprocess = spawned.subprocess;
    this.sandboxType = spawned.sandboxType;
    this.#stdin = spawned.stdin;
    this.#openStreams = spawned.streamCount;
    this.cgroup = spawned.cgroup;
    spawned.subprocess.exited.then(() => this.#afterExit());
  }

  get pid(): number {
    return this.#subprocess.pid;
  }

  get isClosed(): boolean {
    return this.#closedSeq !== null;
  }

  /** Output bytes retained for process/read. */
  get retainedBytes(): number {
    return this.#buffer.retainedBytes;
  }

  /** Whether the program waits for its client to read (output-hold.ts). */
  get isHeld(): boolean {
    return this.#hold.isHeld;
  }

  /** The output notification at `seq` was dropped (a stalled reader). */
  undelivered(seq: number): void {
    this.#hold.undelivered(seq);
  }

  beforeAttachmentChange(): void {
    this.#hold.beforeAttachmentChange();
  }

  attachmentChanged(): void {
    this.#hold.attachmentChanged();
  }

  async read(options: ReadOptions): Promise<ReadResult> {
    const afterSeq = options.afterSeq ?? 0;
    const isCapped = options.maxBytes === undefined || options.maxBytes === null;
    const maxBytes = options.maxBytes ?? MAX_READ_BYTES;
    const deadline = performance.now() + Math.min(options.waitMs ?? 0, MAX_WAIT_MS);
    // The client has what it read up to afterSeq, whatever becomes of this read's answer.
    this.#hold.read(afterSeq, this.#nextSeq - 1);
    for (;;) {
      const chunks = this.#buffer.after(afterSeq, maxBytes);
      const isReady =
        chunks.length > 0 || this.#closedSeq !== null || (this.#exit !== null && this.#exit.seq > afterSeq);
      const remainingMs = deadline - performance.now();
      if (isReady || remainingMs <= 0 || options.signal?.aborted) {
        return this.#result(chunks, isCapped);
      }
      await this.#changed(remainingMs, options.signal);
    }
  }

  /**
   * A writeId is taken when its write starts (a repeat in flight is not written twice) and given
   * back when the write did not go through, so a retry after a failure is written.
   */
  write(bytes: Uint8Array, writeId?: string): WriteStatus {
    if (writeId === "") throw new InvalidParams("writeId must not be empty");
    if (writeId === undefined) return this.#write(bytes);
    if (this.#writeIds.has(writeId)) return "accepted";
    this.#writeIds.add(writeId);
    // Bounded: the oldest ids go first (a client retries a write soon, not thousands later).
    if (this.#writeIds.size > MAX_WRITE_IDS)
      this.#writeIds.delete(this.#writeIds.values().next().value as string);
    try {
      const status = this.#write(bytes);
      if (status !== "accepted") this.#writeIds.delete(writeId);
      return status;
    } catch (error) {
      this.#writeIds.delete(writeId);
      throw error;
    }
  }

  /** Synchronous: the bytes are queued (or refused) at once; what the program has not read drains later. */
  #write(bytes: Uint8Array): WriteStatus {
    if (this.isTty) return this.#writeTerminal(bytes, true);
    const stdin = this.#stdin;
    if (!stdin) return "stdinClosed";
    this.#checkStdinRoom(bytes);
    let flushed: number | Promise<number>;
    try {
      stdin.write(bytes);
      flushed = stdin.flush();
    } catch (error) {
      throw new InternalError("failed to write to process stdin", { cause: error });
    }
    if (!(flushed instanceof Promise)) return "accepted";
    // The rest goes when the program reads; a program that has gone (EPIPE) frees it, and its
    // stdin is closed from then on.
    this.#stdinQueuedBytes += bytes.byteLength;
    flushed.then(
      () => {
        this.#stdinQueuedBytes -= bytes.byteLength;
      },
      () => {
        this.#stdinQueuedBytes -= bytes.byteLength;
        if (this.#stdin === stdin) this.#endStdin();
      },
    );
    return "accepted";
  }

  /** One write of any size is taken when nothing waits; past the limit the client retries. */
  #checkStdinRoom(bytes: Uint8Array): void {
    const queued = this.#stdinQueuedBytes;
    if (queued > 0 && queued + bytes.byteLength > MAX_STDIN_QUEUED_BYTES) {
      throw new InvalidRequest(
        `process ${this.processId} has ${queued} bytes of stdin not yet read by the program (limit ${MAX_STDIN_QUEUED_BYTES})`,
      );
    }
  }

  /** A closed terminal fails the write before the limit is looked at (its count is never drained). */
  #writeTerminal(bytes: Uint8Array, isBounded: boolean): WriteStatus {
    const terminal = this.#subprocess.terminal;
    if (!terminal || terminal.closed) throw new InternalError("failed to write to process stdin");
    if (isBounded) this.#checkStdinRoom(bytes);
    terminal.write(bytes);
    this.#stdinQueuedBytes += bytes.byteLength;
    return "accepted";
  }

  onInputDrained(): void {
    this.#stdinQueuedBytes = 0;
  }

  /**
   * Answered once the close is queued, as a write is: the program reads end of file after what
   * waits for it (a program that never reads its stdin would otherwise hold the answer for ever).
   * A PTY's ^D goes even past the limit: one byte, and what the program is waiting for.
   */
  async closeStdin(): Promise<WriteStatus> {
    if (this.isTty) return this.#writeTerminal(EOF_CHARACTER, false);
    if (!this.#stdin) return "stdinClosed";
    this.#endStdin();
    return "accepted";
  }

  #endStdin(): void {
    const stdin = this.#stdin;
    this.#stdin = null;
    stdin?.end().catch(() => {
      // Broken already: released either way.
    });
  }

  /**
   * Send a signal to the program's process group (it leads one); nothing once it has exited. In a
   * sandbox the signal goes to the processes inside instead: bwrap does not forward signals, and a
   * bwrap killed by one ends the sandbox before the command's own handler has run.
   */
  signal(name: SignalName): void {
    if (this.#exit !== null) return;
    // Under bwrap (Linux) only: sandbox-exec (macOS) becomes the command, which leads the group.
    const isBwrap = this.sandboxType === LINUX_SANDBOX_TYPE;
    const targets = isBwrap ? sandboxedPids(this.#subprocess.pid) : [-this.#subprocess.pid];
    for (const pid of targets) {
      try {
        process.kill(pid, SIGNALS[name]);
      } catch {
        // Gone already: its exit is on its way.
      }
    }
  }

  /**
   * SIGKILL the program and its whole family. Answers whether the program itself was still
   * running (as the reference does); what it left behind is killed either way.
   */
  terminate(): boolean {
    const wasRunning = this.#exit === null;
    this.killFamily();
    return wasRunning;
  }

  /** A PTY's new window size; the terminal sends SIGWINCH to its foreground group. */
  resize(size: TerminalSize): void {
    const terminal = this.#subprocess.terminal;
    if (!this.isTty || !terminal) throw new InvalidRequest(`process ${this.processId} has no terminal`);
    if (!terminal.closed) terminal.resize(size.cols, size.rows);
  }

  /** Kill the program's family: its cgroup, and its process group, session and descendants. */
  killFamily(processes?: ProcessInfo[]): number[] {
    // What the program wrote before it died must drain, whoever is reading.
    this.#hold.drain();
    const isRunning = this.#exit === null;
    const inGroup = this.cgroup?.kill() ?? [];
    const killed = [...new Set([...inGroup, ...killFamily(this.#subprocess.pid, isRunning, processes)])];
    // The group kill may have taken a running program before the family search saw it: it is
    // named anyway, so that shutdown waits for it to be reaped (an exited one's pid may be reused).
    return !isRunning || killed.includes(this.pid) ? killed : [this.pid, ...killed];
  }

  /**
   * A read that MAX_READ_BYTES cut short (the client asked for everything) must not look final: the
   * process is not closed to the client until it has read the rest, and its exit shows once the
   * client has read up to the exit's seq. A client that set maxBytes pages knowingly and sees the
   * process as it is.
   */
  #result(chunks: OutputChunk[], isCapped: boolean): ReadResult {
    const last = chunks.at(-1);
    const nextSeq = last ? last.seq + 1 : this.#nextSeq;
    const isCut = isCapped && last !== undefined && this.#buffer.hasAfter(last.seq);
    const exit = this.#exit && (!isCut || this.#exit.seq < nextSeq) ? this.#exit : null;
    if (last) this.#hold.answered(last.seq);
    return {
      // Their read's memory may go once they are evicted (ReadMemory): the answer keeps their text.
      chunks: this.#hooks.releasesEvictedOutput ? chunks.map((chunk) => chunk.withBase64()) : chunks,
      nextSeq,
      exited: exit !== null,
      exitCode: exit?.exitCode ?? null,
      closed: !isCut && this.#closedSeq !== null,
      failure: null,
    };
  }

  /** Before each pipe read: the attached reader's congestion, else the output hold's gate. */
  beforeRead(): Promise<void> | undefined {
    return this.#hooks.flow()?.congestion() ?? this.#hold.gate();
  }

  /** Output becomes chunks of at most MAX_CHUNK_BYTES. */
  onOutput(stream: OutputStream, bytes: Uint8Array): void {
    const memory =
      this.#hooks.releasesEvictedOutput && bytes.byteLength >= RELEASED_READ_BYTES
        ? ReadMemory.of(bytes, Math.ceil(bytes.byteLength / MAX_CHUNK_BYTES))
        : undefined;
    for (let start = 0; start < bytes.byteLength; start += MAX_CHUNK_BYTES) {
      const part = bytes.subarray(start, start + MAX_CHUNK_BYTES);
      const chunk = new OutputChunk(this.#nextSeq++, stream, part, memory);
      this.#buffer.push(chunk, this.#hold);
      this.#hooks.onEvent({ type: "output", processId: this.processId, chunk });
      // Notified to the attached connection (it may have dropped it), or, detached, to nobody.
      this.#hold.emitted(chunk.seq);
    }
    if (bytes.byteLength > 0) this.#wake();
  }

  /**
   * A pipe program's last output may still be in its pipes when its exit is seen (the two come
   * through different event sources): the exit waits for the pipes to end, for EXIT_DRAIN_MS at
   * most (a background job may hold them open), so output written before the exit comes first.
   */
  #afterExit(): void {
    if (this.isTty || this.#openStreams === 0) {
      this.#exited();
      return;
    }
    // Whichever comes first, the end of the streams or the timer, reports the exit (once).
    const report = () => {
      clearTimeout(timer);
      this.#onStreamsEnded = null;
      this.#exited();
    };
    const timer = setTimeout(report, EXIT_DRAIN_MS);
    this.#onStreamsEnded = report;
  }

  #exited(): void {
    const { exitCode, signalCode } = this.#subprocess;
    // Killed by a signal: 128 + its number, as shells and Codex 0.169+ report it (Codex 0.125
    // reported -1 for a pipe child and 1 for a PTY child; 0.171 still reports 1 for a PTY child).
    const signalNumber =
      signalCode === null ? undefined : constants.signals[signalCode as keyof typeof constants.signals];
    const code = exitCode ?? (signalNumber === undefined ? -1 : 128 + signalNumber);
    const exit = {
      seq: this.#nextSeq++,
      exitCode: code,
      signal: signalCode === null ? null : String(signalCode),
    };
    this.#exit = exit;
    this.#hooks.onEvent({ type: "exited", processId: this.processId, ...exit });
    this.#wake();
    this.#maybeClose();
    // A terminal hangs up when its session leader exits, as the reference's does: what is left
    // in it is drained for a moment, then it closes, even if a background job still holds it
    // (that job gets SIGHUP). Without this a `cmd &` in a PTY would keep `closed` from coming.
    if (this.isTty && this.#closedSeq === null) {
      setTimeout(() => {
        this.#openStreams = 0;
        this.#maybeClose();
      }, PTY_DRAIN_MS).unref();
    }
  }

  onStreamEnd(): void {
    this.#openStreams--;
    if (this.#openStreams === 0) this.#onStreamsEnded?.();
    this.#maybeClose();
  }

  #maybeClose(): void {
    if (this.#exit === null || this.#openStreams > 0 || this.#closedSeq !== null) return;
    this.#closedSeq = this.#nextSeq++;
    this.#subprocess.terminal?.close();
    // Nobody can read stdin any more: its descriptor goes.
    this.#endStdin();
    this.#hooks.onEvent({ type: "closed", processId: this.processId, seq: this.#closedSeq });
    this.#wake();
    this.cgroup?.settle();
    this.#hooks.onClosed(this);
  }

  #wake(): void {
    if (this.#waiters.size === 0) return;
    for (const waiter of this.#waiters) waiter();
    this.#waiters.clear();
  }

  #changed(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    const timer = setTimeout(resolve, timeoutMs);
    const onAbort = () => resolve();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#waiters.add(resolve);
    return promise.finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      this.#waiters.delete(resolve);
    });
  }
}
