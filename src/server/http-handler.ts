// http/request on the wire → an HttpClient. One per connection: a streamed body belongs to the
// connection that asked for it, and is cancelled when that connection closes.
import { InvalidParams } from "../errors.ts";
import type { HttpClient, HttpRequest, HttpStream } from "../http/types.ts";
import { logger } from "../log.ts";
import {
  HTTP_BODY_DELTA,
  type HttpBodyDeltaNotification,
  type HttpRequestParams,
  type HttpRequestResult,
} from "../protocol/http.ts";
import { decodeStrictBase64 } from "../protocol/process.ts";

const log = logger("http");

/** Where a streamed body goes: the connection's notifications, with its flow control. */
export interface DeltaSink {
  notify(method: typeof HTTP_BODY_DELTA, params: HttpBodyDeltaNotification): void;
  /** A promise while the reader is behind: no more of the body is read until it resolves. */
  congestion(): Promise<void> | undefined;
  isClosed(): boolean;
}

const toBase64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

function toRequest(params: HttpRequestParams): HttpRequest {
  let body: Uint8Array | null = null;
  if (params.bodyBase64) {
    body = decodeStrictBase64(params.bodyBase64);
    if (!body) throw new InvalidParams("http/request requires valid base64 bodyBase64");
  }
  return {
    method: params.method,
    url: params.url,
    headers: params.headers,
    body,
    timeoutMs: params.timeoutMs,
    redirectPolicy: params.redirectPolicy,
  };
}

export class HttpHandler {
  /** Streamed request ids still sending their body, and how to stop each. */
  readonly #active = new Map<string, HttpStream | null>();

  constructor(
    private readonly http: HttpClient,
    private readonly sink: DeltaSink,
  ) {}

  async request(params: HttpRequestParams): Promise<HttpRequestResult> {
    const request = toRequest(params);
    if (!params.streamResponse) {
      const response = await this.http.request(request);
      return { status: response.status, headers: response.headers, bodyBase64: toBase64(response.body) };
    }
    const { requestId } = params;
    if (this.#active.has(requestId))
      throw new InvalidParams(`http/request streamResponse requestId \`${requestId}\` is already active`);
    this.#active.set(requestId, null);
    let stream: HttpStream;
    try {
      stream = await this.http.stream(request);
    } catch (error) {
      this.#active.delete(requestId);
      throw error;
    }
    this.#active.set(requestId, stream);
    // The answer goes out in the promise chain this call returns into; setImmediate runs after
    // every pending microtask, so the first delta always follows the result on the wire.
    setImmediate(() => void this.#pump(requestId, stream));
    return { status: stream.status, headers: stream.headers, bodyBase64: "" };
  }

  /**
   * Sends the body as it is read, waiting whenever the connection's send buffer is full: at most
   * one chunk of the body is held here, the rest stays in the socket it comes from.
   */
  async #pump(requestId: string, stream: HttpStream): Promise<void> {
    let seq = 0;
    const send = (deltaBase64: string, done: boolean, error: string | null) => {
      this.sink.notify(HTTP_BODY_DELTA, { requestId, seq: ++seq, deltaBase64, done, error });
    };
    try {
      for await (const chunk of stream.body) {
        if (this.sink.isClosed()) return stream.cancel();
        send(toBase64(chunk), false, null);
        await this.sink.congestion();
      }
      send("", true, null);
    } catch (error) {
      log.debug("streamed body failed", { requestId, error: String(error) });
      send("", true, error instanceof Error ? error.message : String(error));
    } finally {
      this.#active.delete(requestId);
    }
  }

  /** The connection closed: stop every body still streaming. */
  close(): void {
    for (const stream of this.#active.values()) stream?.cancel();
    this.#active.clear();
  }
}
