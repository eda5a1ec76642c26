// HttpClient over an ExecServerClient: the executor makes the request. A streamed body arrives
// as http/request/bodyDelta notifications, checked for order and handed out as they come.

import { nanoid } from "nanoid";
import { AsyncQueue } from "../async-queue.ts";
import { InternalError, TransportClosed } from "../errors.ts";
import { toBase64 } from "../protocol/codec.ts";
import type { HttpBodyDeltaNotification, HttpRequestParams } from "../protocol/http.ts";
import type { ExecServerClient } from "../rpc/client.ts";
import type { HttpClient, HttpRequest, HttpResponse, HttpStream } from "./types.ts";

function toParams(request: HttpRequest, requestId: string): HttpRequestParams {
  return {
    method: request.method,
    url: request.url,
    requestId,
    ...(request.headers ? { headers: request.headers } : {}),
    bodyBase64: request.body && request.body.byteLength > 0 ? toBase64(request.body) : null,
    timeoutMs: request.timeoutMs ?? null,
    ...(request.redirectPolicy ? { redirectPolicy: request.redirectPolicy } : {}),
  };
}

/**
 * The deltas of one streamed body, in seq order. The server sends them as fast as this
 * connection takes them; they wait here until the consumer reads them.
 */
class DeltaQueue {
  readonly #chunks = new AsyncQueue<Uint8Array>();
  #nextSeq = 1;

  accept(delta: HttpBodyDeltaNotification): void {
    if (this.#chunks.isEnded) return;
    if (delta.seq !== this.#nextSeq) {
      this.finish(
        new InternalError(`http/request/bodyDelta out of order: seq ${delta.seq}, expected ${this.#nextSeq}`),
      );
      return;
    }
    this.#nextSeq++;
    if (delta.deltaBase64) this.#chunks.push(Buffer.from(delta.deltaBase64, "base64"));
    if (delta.done) this.finish(delta.error === null ? null : new InternalError(delta.error));
  }

  finish(error: Error | null): void {
    this.#chunks.end(error);
  }

  drain(): AsyncIterable<Uint8Array> {
    return this.#chunks;
  }
}

export class RemoteHttpClient implements HttpClient {
  constructor(private readonly client: ExecServerClient) {}

  async request(request: HttpRequest): Promise<HttpResponse> {
    const result = await this.client.call("http/request", toParams(request, nanoid()));
    return { status: result.status, headers: result.headers, body: Buffer.from(result.bodyBase64, "base64") };
  }

  async stream(request: HttpRequest): Promise<HttpStream> {
    const requestId = nanoid();
    const queue = new DeltaQueue();
    // Listening before asking: the deltas follow the result, and none may be missed.
    const stopDeltas = this.client.onNotification("http/request/bodyDelta", (delta) => {
      if (delta.requestId === requestId) queue.accept(delta);
    });
    const stopClose = this.client.onClose((reason) => queue.finish(new TransportClosed(reason)));
    const stop = () => {
      stopDeltas();
      stopClose();
    };
    try {
      const result = await this.client.call("http/request", {
        ...toParams(request, requestId),
        streamResponse: true,
      });
      const body = (async function* () {
        try {
          yield* queue.drain();
        } finally {
          stop();
        }
      })();
      return {
        status: result.status,
        headers: result.headers,
        body,
        // The protocol has no way to stop the server's side: the rest of the body is ignored here.
        cancel: () => {
          queue.finish(null);
          stop();
        },
      };
    } catch (error) {
      stop();
      throw error;
    }
  }
}
