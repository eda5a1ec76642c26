// What an Environment offers for HTTP: requests made from the executor host, whole or streamed.
import type { HttpHeader, RedirectPolicy } from "../protocol/http.ts";

export type { HttpHeader, RedirectPolicy };

export interface HttpRequest {
  method: string;
  url: string;
  /** Sent in order; a repeated name is sent repeatedly. */
  headers?: HttpHeader[];
  body?: Uint8Array | null;
  /** Covers connecting, the headers and the whole body. Absent or null: no limit. */
  timeoutMs?: number | null;
  /** Default follow. */
  redirectPolicy?: RedirectPolicy;
  /** Abandons the request and its body (a server's connection that asked for it closed). */
  signal?: AbortSignal;
}

export interface HttpResponseHead {
  status: number;
  /** Lower-case names, repeats kept. */
  headers: HttpHeader[];
}

export interface HttpResponse extends HttpResponseHead {
  body: Uint8Array;
}

export interface HttpStream extends HttpResponseHead {
  /**
   * The body in order. Locally it is read from the network only as fast as it is consumed; over a
   * connection the server sends it as fast as the connection takes it, and what the consumer has
   * not taken yet waits in the client's memory (the protocol has no way to ask for less). A body
   * that fails (cut short, timed out) throws from the iterator after the bytes that did arrive.
   */
  body: AsyncIterable<Uint8Array>;
  /** Stop reading and release the connection; the iterator then ends. */
  cancel(): void;
}

export interface HttpClient {
  /** The whole body in memory: at most MAX_BUFFERED_BODY_BYTES (larger bodies need stream()). */
  request(request: HttpRequest): Promise<HttpResponse>;
  stream(request: HttpRequest): Promise<HttpStream>;
}
