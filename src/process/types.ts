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
import type { OutputChunk } from "./output-buffer.ts";

export type StartOptions = ProcessStartParams;

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

export type { OutputStream, SignalName, WriteStatus };

export interface ExecProcess {
  start(options: StartOptions): Promise<ProcessStartResult>;
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
