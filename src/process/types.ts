// What an Environment offers for processes. LocalProcess does the work on this host; RemoteProcess
// (with the client) proxies the same calls to a server. Bytes are Uint8Array here, base64 on the wire.
import type {
  OutputStream,
  ProcessStartParams,
  ProcessStartResult,
  ProcessTerminateResult,
  SignalName,
  TerminalSize,
  WriteStatus,
} from "../protocol/process.ts";
import type { ProcessHandle, RunResult } from "./handle.ts";
import type { OutputChunk } from "./output-buffer.ts";

/** Every field process/start takes. */
export type StartParams = ProcessStartParams;

/**
 * What a caller gives start(): `argv`, and what it wants of the rest. Without `processId` one is
 * made; `cwd` defaults to the host's working directory, `tty` to false, and without `env` and
 * `envPolicy` the program gets the host's environment less its secrets.
 */
export type StartOptions = Omit<StartParams, "processId" | "cwd" | "env" | "tty"> &
  Partial<Pick<StartParams, "processId" | "cwd" | "env" | "tty">>;

export interface ReadOptions {
  processId: string;
  afterSeq?: number | null;
  maxBytes?: number | null;
  waitMs?: number | null;
  /** Ends a long poll early; the read then answers with what it has. */
  signal?: AbortSignal;
}

export interface ReadResult {
  chunks: OutputChunk[];
  nextSeq: number;
  exited: boolean;
  exitCode: number | null;
  closed: boolean;
  failure: string | null;
  signal?: string | null;
}

export type ProcessEvent =
  | { type: "output"; processId: string; chunk: OutputChunk }
  | { type: "exited"; processId: string; seq: number; exitCode: number; signal: string | null }
  | { type: "closed"; processId: string; seq: number };

export type ProcessEventListener = (event: ProcessEvent) => void;

export type { OutputStream, ProcessHandle, ProcessStartResult, RunResult, SignalName, WriteStatus };

export interface ExecProcess {
  /** Start a program; its handle has its own events and controls. */
  start(options: StartOptions): Promise<ProcessHandle>;
  /** Start a program and wait for it: its output as text and its exit. */
  run(options: StartOptions): Promise<RunResult>;
  read(options: ReadOptions): Promise<ReadResult>;
  /**
   * `writeId`: a write whose id this process has already seen is answered `accepted` and not
   * written again (a retry of a write whose answer was lost).
   */
  write(processId: string, bytes: Uint8Array, writeId?: string): Promise<WriteStatus>;
  /** Send a signal to the program's whole process group; nothing for an unknown or exited one. */
  signal(processId: string, signal: SignalName): Promise<void>;
  /** [ext] End stdin: a pipe is closed, a PTY gets its EOF character (^D). */
  closeStdin(processId: string): Promise<WriteStatus>;
  terminate(processId: string): Promise<ProcessTerminateResult>;
  /** [ext] Resize a PTY process's terminal (its group gets SIGWINCH). */
  resize(processId: string, size: TerminalSize): Promise<void>;
  /** Every event of every process, in seq order per process. Returns an unsubscribe function. */
  subscribe(listener: ProcessEventListener): () => void;
}
