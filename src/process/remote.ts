// ExecProcess over an ExecServerClient: the same calls, proxied to a server. Events come from the
// server's notifications, delivered in seq order per process; a gap (or a resume after a dropped
// connection) is filled from process/read, so a consumer sees each event exactly once.

import { TransportClosed } from "../errors.ts";
import { toBase64 } from "../protocol/codec.ts";
import { wirePath } from "../protocol/path.ts";
import type {
  ProcessReadResult,
  ProcessStartResult,
  ProcessTerminateResult,
  SignalName,
  TerminalSize,
  WriteStatus,
} from "../protocol/process.ts";
import type { ExecServerClient } from "../rpc/client.ts";
import { type ProcessHandle, type RunResult, startParams, startProcess } from "./handle.ts";
import { OutputChunk } from "./output-buffer.ts";
import { eventsFromReads, ProcessStream } from "./stream.ts";
import type {
  ExecProcess,
  ProcessEvent,
  ProcessEventListener,
  ReadOptions,
  ReadResult,
  StartOptions,
  StartParams,
} from "./types.ts";

export class RemoteProcess implements ExecProcess {
  readonly #streams = new Map<string, ProcessStream>();
  readonly #catchUps = new Map<string, Promise<void>>();
  readonly #listeners = new Set<ProcessEventListener>();
  readonly #writeCounts = new Map<string, number>();
  readonly #handles = new Set<ProcessHandle>();

  constructor(private readonly client: ExecServerClient) {
    client.onNotification("process/output", ({ processId, seq, stream, chunk }) =>
      this.#feed({ type: "output", processId, chunk: OutputChunk.fromBase64(seq, stream, chunk) }),
    );
    client.onNotification("process/exited", ({ processId, seq, exitCode, signal }) =>
      this.#feed({ type: "exited", processId, seq, exitCode, signal: signal ?? null }),
    );
    client.onNotification("process/closed", ({ processId, seq }) =>
      this.#feed({ type: "closed", processId, seq }),
    );
    client.onResume(() => this.#catchUpAll());
    client.onClose((reason) => {
      for (const handle of this.#handles) handle.fail(new TransportClosed(reason));
      this.#handles.clear();
    });
  }

  /**
   * The default cwd is the server's own, as its environmentInfo says. A handle cannot outlive its
   * connection: when it closes, the handle's events and closed fail with TransportClosed (follow
   * processes across a reconnect with subscribe()).
   */
  async start(options: StartOptions): Promise<ProcessHandle> {
    const params = startParams(options, this.client.environmentInfo?.cwd ?? "/");
    const handle = await startProcess(this, params, (p) => this.launch(p));
    this.#handles.add(handle);
    handle.closed.finally(() => this.#handles.delete(handle)).catch(() => {});
    return handle;
  }

  async run(options: StartOptions): Promise<RunResult> {
    return (await this.start(options)).output();
  }

  async launch(params: StartParams): Promise<ProcessStartResult> {
    const isNew = !this.#streams.has(params.processId);
    this.#track(params.processId);
    try {
      return await this.client.call("process/start", { ...params, cwd: wirePath(params.cwd) });
    } catch (error) {
      // Nothing started: nothing to follow, catch up on or terminate at close.
      if (isNew) this.#streams.delete(params.processId);
      throw error;
    }
  }

  /** Terminate every process started here that has not closed (Environment.close does). */
  async terminateAll(timeoutMs = 2000): Promise<void> {
    if (!this.client.isConnected) return;
    const open = [...this.#streams.values()].filter((stream) => !stream.isClosed);
    const closed = open.map((stream) => this.#closedEvent(stream.processId));
    const answers = await Promise.allSettled(open.map((stream) => this.terminate(stream.processId)));
    // Only what was running has a close on the way.
    const running = closed.filter((_, i) => {
      const answer = answers[i];
      return answer?.status === "fulfilled" && answer.value.running;
    });
    // Wait for those closes (bounded), so handles end as closed, not failed.
    let timer: Timer | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(running), late]);
    clearTimeout(timer);
  }

  /** Resolves when the process's closed event has been delivered. */
  #closedEvent(processId: string): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    const unsubscribe = this.subscribe((event) => {
      if (event.processId !== processId || event.type !== "closed") return;
      unsubscribe();
      resolve();
    });
    return promise;
  }

  async read({ signal: _signal, ...options }: ReadOptions): Promise<ReadResult> {
    const result = await this.client.call("process/read", options);
    return {
      ...result,
      chunks: result.chunks.map(({ seq, stream, chunk }) => OutputChunk.fromBase64(seq, stream, chunk)),
    };
  }

  /** Without a writeId, one is made (a counter per process, as Codex 0.169+ does): they require it. */
  async write(processId: string, bytes: Uint8Array, writeId?: string): Promise<WriteStatus> {
    const chunk = toBase64(bytes);
    const id = writeId ?? this.#nextWriteId(processId);
    return (await this.client.call("process/write", { processId, chunk, writeId: id })).status;
  }

  #nextWriteId(processId: string): string {
    const next = (this.#writeCounts.get(processId) ?? 0) + 1;
    this.#writeCounts.set(processId, next);
    return `auto-${next}`;
  }

  async signal(processId: string, signal: SignalName): Promise<void> {
    await this.client.call("process/signal", { processId, signal });
  }

  async closeStdin(processId: string): Promise<WriteStatus> {
    return (await this.client.call("process/closeStdin", { processId })).status;
  }

  async resize(processId: string, size: TerminalSize): Promise<void> {
    await this.client.call("process/resize", { processId, ...size });
  }

  terminate(processId: string): Promise<ProcessTerminateResult> {
    return this.client.call("process/terminate", { processId });
  }

  subscribe(listener: ProcessEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Fill a process's events from process/read, from the last delivered seq on. */
  catchUp(processId: string): Promise<void> {
    const running = this.#catchUps.get(processId);
    if (running) return running;
    const task = this.#catchUp(processId).finally(() => this.#catchUps.delete(processId));
    this.#catchUps.set(processId, task);
    return task;
  }

  #track(processId: string): ProcessStream {
    const stream = this.#streams.get(processId) ?? new ProcessStream(processId);
    this.#streams.set(processId, stream);
    return stream;
  }

  #feed(event: ProcessEvent): void {
    const stream = this.#track(event.processId);
    this.#deliver(stream.accept(event));
    if (stream.hasGap && this.client.isConnected) void this.catchUp(event.processId).catch(() => {});
  }

  #deliver(events: ProcessEvent[]): void {
    for (const event of events) for (const listener of this.#listeners) listener(event);
  }

  async #catchUpAll(): Promise<void> {
    const open = [...this.#streams.values()].filter((stream) => !stream.isClosed);
    await Promise.all(open.map((stream) => this.catchUp(stream.processId)));
  }

  async #catchUp(processId: string): Promise<void> {
    const stream = this.#streams.get(processId);
    if (!stream || stream.isClosed) return;
    const afterSeq = stream.delivered;
    const reads: ProcessReadResult[] = [];
    for (let next = afterSeq; ; ) {
      const read = await this.client.call("process/read", { processId, afterSeq: next, waitMs: 0 });
      reads.push(read);
      if (read.chunks.length === 0) break;
      next = read.nextSeq - 1;
    }
    const { events, lastSeq } = eventsFromReads(processId, afterSeq, reads, stream.hasExited);
    for (const event of events) this.#deliver(stream.accept(event));
    // Seqs still missing up to the server's last one were evicted from retention: skip them.
    this.#deliver(stream.skipTo(lastSeq));
  }
}
