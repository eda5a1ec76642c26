// A lean exec-server client for the load generator: no schema checks and no base64 decoding on the
// hot path (output bytes are counted from the base64 length), on a websocket that never makes a
// large message a string (raw-socket.ts), so the generator stays cheap and the server is what gets
// measured. Works against ours and the reference (no permessage-deflate).
import { type ElidedBase64, RawSocket } from "./raw-socket.ts";

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

export interface ProcessWatch {
  bytes: number;
  chunks: number;
  lastSeq: number;
  /** Seqs missing or repeated at close (notifications may arrive out of order, not go missing). */
  seqGaps: number;
  exitCode: number | null;
  closed: Promise<void>;
  text: string[];
}

/** Decoded length of a base64 string (or of one the socket elided) without decoding it. */
export function base64Bytes(b64: string | ElidedBase64): number {
  if (typeof b64 !== "string") return b64.$base64Bytes;
  const padding = b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0;
  return (b64.length / 4) * 3 - padding;
}

export class LeanClient {
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #watches = new Map<string, ProcessWatch & { close(): void; fail(error: Error): void }>();
  #onOutput: ((processId: string, b64: string) => void) | null = null;

  #socket: RawSocket | null = null;
  #isClosing = false;

  static async connect(url: string): Promise<LeanClient> {
    const client = new LeanClient();
    client.#socket = await RawSocket.connect(url, {
      message: (text) => client.#receive(text),
      end: (error) => client.#end(error),
    });
    // A notification reader, as our own client says it is (the references ignore the member).
    await client.call("initialize", { clientName: "bench", outputFromNotifications: true });
    client.#socket.sendText(JSON.stringify({ method: "initialized", params: {} }));
    return client;
  }

  /** `params` may be JSON text already (a Buffer), to send a large payload without re-encoding. */
  call(method: string, params: unknown): Promise<unknown> {
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    this.#pending.set(id, { resolve, reject });
    const socket = this.#socket as RawSocket;
    if (Buffer.isBuffer(params)) {
      const head = Buffer.from(`{"id":${id},"method":${JSON.stringify(method)},"params":`);
      socket.sendText([head, params, Buffer.from("}")]);
    } else socket.sendText(JSON.stringify({ id, method, params }));
    return promise;
  }

  /** Watch a process's notifications (register before starting it). */
  watch(processId: string, keepText = false): ProcessWatch {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const watch = {
      fail: reject,
      bytes: 0,
      chunks: 0,
      lastSeq: 0,
      seqGaps: 0,
      seen: new Set<number>(),
      exitCode: null as number | null,
      closed: promise,
      text: [] as string[],
      close: resolve,
      keepText,
    };
    this.#watches.set(processId, watch);
    return watch;
  }

  onOutput(listener: ((processId: string, b64: string) => void) | null): void {
    this.#onOutput = listener;
  }

  close(): void {
    this.#isClosing = true;
    this.#socket?.close();
  }

  /** The connection ended under us: every call and every watch fails with why. */
  #end(error: Error): void {
    if (this.#isClosing) return;
    this.#isClosing = true;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    for (const watch of this.#watches.values()) watch.fail(error);
    this.#watches.clear();
  }

  #receive(data: string): void {
    const message = JSON.parse(data);
    if (message.id !== undefined && message.id !== null) {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(`${message.error.code}: ${message.error.message}`));
      else pending.resolve(message.result);
      return;
    }
    const params = message.params;
    const watch = params && this.#watches.get(params.processId);
    if (!watch) return;
    (watch as unknown as { seen: Set<number> }).seen.add(params.seq);
    watch.lastSeq = Math.max(watch.lastSeq, params.seq);
    switch (message.method) {
      case "process/output":
        watch.bytes += base64Bytes(params.chunk);
        watch.chunks++;
        if ((watch as { keepText?: boolean }).keepText) watch.text.push(params.chunk);
        this.#onOutput?.(params.processId, params.chunk);
        break;
      case "process/exited":
        watch.exitCode = params.exitCode;
        break;
      case "process/closed":
        watch.seqGaps = watch.lastSeq - (watch as unknown as { seen: Set<number> }).seen.size;
        this.#watches.delete(params.processId);
        watch.close();
        break;
    }
  }
}

export function startParams(processId: string, argv: string[], extra: Record<string, unknown> = {}) {
  return {
    processId,
    argv,
    cwd: "/tmp",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C" },
    tty: false,
    pipeStdin: false,
    arg0: null,
    ...extra,
  };
}
