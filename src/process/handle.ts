// What ExecProcess.start gives back: one program, with its own events and controls. The same class
// serves LocalProcess and RemoteProcess; it only calls the ExecProcess it came from.
import { customAlphabet } from "nanoid";
import { AsyncQueue } from "../async-queue.ts";
import type { EnvPolicy, SignalName, TerminalSize, WriteStatus } from "../protocol/process.ts";
import type { ExecProcess, ProcessEvent, StartOptions, StartParams } from "./types.ts";

const newId = customAlphabet("0123456789abcdefghijklmnopqrstuvwxyz", 12);

/** Without env and envPolicy a program gets the host's environment less its secrets, as ssh gives. */
const HOST_ENVIRONMENT: EnvPolicy = {
  inherit: "all",
  ignoreDefaultExcludes: false,
  exclude: [],
  set: {},
  includeOnly: [],
};

/** The full start params: an id made when none is given, and the defaults of the optional fields. */
export function startParams(options: StartOptions, defaultCwd: string): StartParams {
  const hasEnvironment = options.env !== undefined || options.envPolicy !== undefined;
  return {
    ...options,
    processId: options.processId ?? `p-${newId()}`,
    cwd: options.cwd ?? defaultCwd,
    env: options.env ?? {},
    envPolicy: hasEnvironment ? options.envPolicy : HOST_ENVIRONMENT,
    tty: options.tty ?? false,
  };
}

export interface ProcessExit {
  exitCode: number;
  /** The signal that killed it (`"SIGKILL"`), or null. */
  signal: string | null;
}

export interface RunResult extends ProcessExit {
  stdout: string;
  stderr: string;
}

export class ProcessHandle {
  readonly processId: string;
  /** Which sandbox the program runs in (`none` unless one was asked for). */
  sandboxType = "none";
  readonly #process: ExecProcess;
  /**
   * Events of this process, kept from its start until they are iterated: a consumer that starts
   * iterating late still sees every event once (so an output never iterated stays in memory
   * until the handle goes; use ExecProcess.subscribe to watch without keeping anything).
   */
  readonly #feed = new AsyncQueue<ProcessEvent>();
  readonly #closed: Promise<ProcessExit>;
  readonly #unsubscribe: () => void;
  readonly #reject: (error: Error) => void;
  #isIterated = false;

  /** Subscribes at once: call before the start request, so no event can come first. */
  constructor(process: ExecProcess, processId: string) {
    this.processId = processId;
    this.#process = process;
    const { promise, resolve, reject } = Promise.withResolvers<ProcessExit>();
    this.#closed = promise;
    this.#reject = reject;
    // Nobody may await closed: a failure must not become an unhandled rejection.
    promise.catch(() => {});
    let exit: ProcessExit = { exitCode: -1, signal: null };
    const unsubscribe = process.subscribe((event) => {
      if (event.processId !== processId) return;
      this.#feed.push(event);
      if (event.type === "closed") this.#feed.end();
      if (event.type === "exited") exit = { exitCode: event.exitCode, signal: event.signal };
      if (event.type === "closed") {
        unsubscribe();
        resolve(exit);
      }
    });
    this.#unsubscribe = unsubscribe;
  }

  /** The start was refused: stop listening. */
  abandon(): void {
    this.#unsubscribe();
  }

  /** The process can no longer be followed (its connection closed): events and closed fail. */
  fail(error: Error): void {
    this.#unsubscribe();
    this.#feed.end(error);
    this.#reject(error);
  }

  /** Set once the start answered. */
  started(sandboxType: string | undefined): this {
    this.sandboxType = sandboxType ?? "none";
    return this;
  }

  /** This process's events from its start, in seq order, ending with `closed`. Iterate once. */
  get events(): AsyncIterable<ProcessEvent> {
    if (this.#isIterated) throw new Error(`the events of ${this.processId} are already being iterated`);
    this.#isIterated = true;
    return this.#feed;
  }

  /**
   * Resolves when the program has exited and all of its output has been delivered; rejects with
   * TransportClosed if its connection closes first.
   */
  get closed(): Promise<ProcessExit> {
    return this.#closed;
  }

  write(data: Uint8Array | string, writeId?: string): Promise<WriteStatus> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    return this.#process.write(this.processId, bytes, writeId);
  }

  closeStdin(): Promise<WriteStatus> {
    return this.#process.closeStdin(this.processId);
  }

  signal(signal: SignalName): Promise<void> {
    return this.#process.signal(this.processId, signal);
  }

  resize(size: TerminalSize): Promise<void> {
    return this.#process.resize(this.processId, size);
  }

  /** SIGKILL to the whole group; whether the program was still running. */
  async terminate(): Promise<boolean> {
    return (await this.#process.terminate(this.processId)).running;
  }

  /** Collect the output as text, and the exit. */
  async output(): Promise<RunResult> {
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder(), pty: new TextDecoder() };
    let stdout = "";
    let stderr = "";
    for await (const event of this.events) {
      if (event.type !== "output") continue;
      const text = decoders[event.chunk.stream].decode(event.chunk.bytes, { stream: true });
      if (event.chunk.stream === "stderr") stderr += text;
      else stdout += text;
    }
    return { stdout, stderr, ...(await this.closed) };
  }
}

/** start() of both ExecProcess implementations: handle first, then the start request. */
export async function startProcess(
  process: ExecProcess,
  params: StartParams,
  request: (params: StartParams) => Promise<{ sandboxType?: string }>,
): Promise<ProcessHandle> {
  const handle = new ProcessHandle(process, params.processId);
  try {
    return handle.started((await request(params)).sandboxType);
  } catch (error) {
    handle.abandon();
    throw error;
  }
}
