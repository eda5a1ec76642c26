// http/request on the wire → an HttpClient. One per connection: a streamed body belongs to the
// connection that asked for it, and is cancelled when that connection closes.
import { InvalidParams } from "../errors.ts";
import type { HttpClient, HttpRequest, HttpStream } from "../http/types.ts";
import { logger } from "../log.ts";
import { Base64Data, decodeStrictBase64 } from "../protocol/codec.ts";
import type { HttpBodyDeltaNotification, HttpHeader, HttpRequestParams } from "../protocol/http.ts";

const log = logger("http");
const EMPTY = new Base64Data(new Uint8Array(0));

/** Where a streamed body goes: the connection's notifications, with its flow control. */
export interface DeltaSink {
  notify(method: "http/request/bodyDelta", params: BodyDelta): void;
  /** A promise while the reader is behind: no more of the body is read until it resolves. */
  congestion(): Promise<void> | undefined;
  isClosed(): boolean;
}

/** A bodyDelta with its bytes as Base64Data (the codec writes them without a second scan). */
export type BodyDelta = Omit<HttpBodyDeltaNotification, "deltaBase64"> & { deltaBase64: Base64Data };

/** The http/request result as a domain value. */
export interface HttpAnswer {
  status: number;
  headers: HttpHeader[];
  bodyBase64: Base64Data;
}

function toRequest(params: HttpRequestParams, signal: AbortSignal): HttpRequest {
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
    signal,
  };
}

export class HttpHandler {
  /** Streamed request ids still sending their body, and how to stop each. */
  readonly #active = new Map<string, HttpStream | null>();
  /** Aborted when the connection closes: requests still in flight stop, whole or streamed. */
  readonly #closed = new AbortController();

  constructor(
    private readonly http: HttpClient,
    private readonly sink: DeltaSink,
  ) {}

  async request(params: HttpRequestParams): Promise<HttpAnswer> {
    const request = toRequest(params, this.#closed.signal);
    if (!params.streamResponse) {
      const response = await this.http.request(request);
      return {
        status: response.status,
        headers: response.headers,
        bodyBase64: new Base64Data(response.body),
      };
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
    return { status: stream.status, headers: stream.headers, bodyBase64: EMPTY };
  }

  /**
   * Sends the body as it is read, waiting whenever the connection's send buffer is full: at most
   * one chunk of the body is held here, the rest stays in the socket it comes from.
   */
  async #pump(requestId: string, stream: HttpStream): Promise<void> {
    let seq = 0;
    const send = (deltaBase64: Base64Data, done: boolean, error: string | null) => {
      this.sink.notify("http/request/bodyDelta", { requestId, seq: ++seq, deltaBase64, done, error });
    };
    try {
      for await (const chunk of stream.body) {
        if (this.sink.isClosed()) return stream.cancel();
        send(new Base64Data(chunk), false, null);
        await this.sink.congestion();
      }
      send(EMPTY, true, null);
    } catch (error) {
      log.debug("streamed body failed", { requestId, error: String(error) });
      send(EMPTY, true, error instanceof Error ? error.message : String(error));
    } finally {
      this.#active.delete(requestId);
    }
  }

  /** The connection closed: stop every request in flight and every body still streaming. */
  close(): void {
    this.#closed.abort();
    this.#active.clear();
  }
}
