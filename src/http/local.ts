// HTTP(S) from this host through the runtime's fetch, with the reference's checks and messages.
import { InternalError, InvalidParams } from "../errors.ts";
import type { HttpClient, HttpHeader, HttpRequest, HttpResponse, HttpStream } from "./types.ts";

/**
 * A body read whole (no streamResponse) is refused past this: it sits in memory once as bytes and
 * once as base64, and must fit a websocket message. Larger bodies are for streamResponse.
 */
export const MAX_BUFFERED_BODY_BYTES = 16 * 1024 * 1024;

/** Streamed chunks larger than this are split, so one notification stays small. */
export const MAX_DELTA_BYTES = 256 * 1024;

/**
 * The methods the runtime's fetch sends as named. It sends any other name as GET without a word,
 * so those are refused here rather than sent as something else.
 */
const SENDABLE_METHODS = new Set(
  (
    "ACL BIND CHECKOUT CONNECT COPY DELETE GET HEAD LINK LOCK M-SEARCH MERGE MKACTIVITY MKCALENDAR " +
    "MKCOL MOVE NOTIFY OPTIONS PATCH POST PROPFIND PROPPATCH PURGE PUT QUERY REBIND REPORT SEARCH " +
    "SOURCE SUBSCRIBE TRACE UNBIND UNLINK UNLOCK UNSUBSCRIBE"
  ).split(" "),
);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value as bytes (latin1 here): visible characters, space, tab and obs-text. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DECODED_ENCODINGS = new Set(["gzip", "x-gzip", "deflate", "br", "zstd"]);

interface Prepared {
  url: URL;
  init: RequestInit;
  timeoutMs: number | null;
}

function prepare(request: HttpRequest): Prepared {
  const { method } = request;
  if (!TOKEN.test(method)) throw new InvalidParams("http/request method is invalid: invalid HTTP method");
  if (!SENDABLE_METHODS.has(method)) {
    throw new InvalidParams(
      `http/request method is invalid: ${method} is not one this executor can send (use an upper-case standard method)`,
    );
  }
  const url = parseUrl(request.url);
  const headers = new Headers();
  for (const { name, value } of request.headers ?? []) {
    if (!TOKEN.test(name))
      throw new InvalidParams("http/request header name is invalid: invalid HTTP header name");
    // UTF-8 bytes go out as they are (as the reference sends them); fetch takes them as latin1.
    const bytes = Buffer.from(value, "utf8").toString("latin1");
    if (!FIELD_VALUE.test(bytes)) {
      throw new InvalidParams(
        `http/request header value is invalid for ${name}: failed to parse header value`,
      );
    }
    headers.append(name, bytes);
  }
  const init: RequestInit = {
    method,
    headers,
    redirect: request.redirectPolicy === "stop" ? "manual" : "follow",
    // A loopback address is this host: a proxy from the environment must not see it.
    ...(isLoopback(url) ? { proxy: false } : {}),
  };
  if (request.body && request.body.byteLength > 0) {
    if (method === "GET" || method === "HEAD")
      throw new InvalidParams(
        `http/request cannot send a body with ${method} from this executor (fetch refuses it)`,
      );
    init.body = request.body;
  }
  return { url, init, timeoutMs: request.timeoutMs ?? null };
}

function parseUrl(text: string): URL {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text))
    throw new InvalidParams("http/request url is invalid: relative URL without a base");
  const url = URL.parse(text);
  if (!url) throw new InvalidParams("http/request url is invalid: invalid URL");
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https")
    throw new InvalidParams(`http/request only supports http and https URLs, got ${scheme}`);
  return url;
}

/** 127.0.0.0/8, ::1 and localhost (which resolves to them). */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    /^::ffff:127\./.test(host)
  );
}

/** One request's deadline: it aborts the fetch and its body alike. */
class Deadline {
  readonly controller = new AbortController();
  #timer: Timer | undefined;
  hasExpired = false;
  isCancelled = false;

  readonly #outer: AbortSignal | undefined;
  readonly #onOuterAbort = () => this.cancel();

  constructor(
    readonly timeoutMs: number | null,
    outer?: AbortSignal,
  ) {
    this.#outer = outer;
    if (outer?.aborted) this.cancel();
    else outer?.addEventListener("abort", this.#onOuterAbort, { once: true });
    // Past a timer's 2^31 - 1 ms (24.8 days) a timeout is as good as none (and would fire at once).
    if (timeoutMs === null || timeoutMs > MAX_TIMER_MS) return;
    this.#timer = setTimeout(() => {
      this.hasExpired = true;
      this.controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  }

  /** Stop the request and its body; a body being read then ends without an error. */
  cancel(): void {
    this.isCancelled = true;
    this.controller.abort(new Error("cancelled"));
    this.clear();
  }

  reason(error: unknown): string {
    if (this.hasExpired) return `timed out after ${this.timeoutMs} ms`;
    if (this.isCancelled) return "cancelled";
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    return typeof code === "string" && code ? code : String(message ?? error);
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#outer?.removeEventListener("abort", this.#onOuterAbort);
  }
}

async function open(request: HttpRequest): Promise<{ response: Response; deadline: Deadline }> {
  const { url, init, timeoutMs } = prepare(request);
  const deadline = new Deadline(timeoutMs, request.signal);
  try {
    const response = await fetch(url, { ...init, signal: deadline.controller.signal });
    return { response, deadline };
  } catch (error) {
    deadline.clear();
    throw new InternalError(
      `http/request failed: error sending request for url (${url.href}): ${deadline.reason(error)}`,
    );
  }
}

/** fetch decodes gzip/br/zstd bodies but keeps their headers; the body as delivered has neither. */
function headersOf(response: Response): HttpHeader[] {
  const encoding = response.headers.get("content-encoding")?.trim().toLowerCase();
  const isDecoded = encoding !== undefined && DECODED_ENCODINGS.has(encoding);
  const headers: HttpHeader[] = [];
  for (const [name, value] of response.headers) {
    if (isDecoded && (name === "content-encoding" || name === "content-length")) continue;
    headers.push({ name, value });
  }
  return headers;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

async function* chunks(
  body: ReadableStream<Uint8Array> | null,
  deadline: Deadline,
): AsyncGenerator<Uint8Array> {
  if (!body) {
    // A HEAD or 204 answer has no body: the deadline (a timer, a listener) ends here too.
    deadline.clear();
    return;
  }
  const reader = body.getReader();
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
        if (deadline.isCancelled) return;
        throw new InternalError(`error decoding response body: ${deadline.reason(error)}`);
      }
      if (next.done) return;
      for (let at = 0; at < next.value.byteLength; at += MAX_DELTA_BYTES) {
        yield next.value.subarray(at, at + MAX_DELTA_BYTES);
      }
    }
  } finally {
    deadline.clear();
    reader.cancel().catch(() => {});
  }
}

export class LocalHttpClient implements HttpClient {
  constructor(private readonly maxBufferedBodyBytes = MAX_BUFFERED_BODY_BYTES) {}

  async request(request: HttpRequest): Promise<HttpResponse> {
    const { response, deadline } = await open(request);
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of chunks(response.body, deadline)) {
        size += chunk.byteLength;
        if (size > this.maxBufferedBodyBytes) {
          throw new InternalError(
            `failed to read http/request response body: the body exceeds ${this.maxBufferedBodyBytes} bytes; use streamResponse`,
          );
        }
        parts.push(chunk);
      }
    } catch (error) {
      if (error instanceof InternalError && error.message.startsWith("error decoding"))
        throw new InternalError(`failed to read http/request response body: ${error.message}`);
      throw error;
    }
    return { status: response.status, headers: headersOf(response), body: Buffer.concat(parts) };
  }

  async stream(request: HttpRequest): Promise<HttpStream> {
    const { response, deadline } = await open(request);
    const body = chunks(response.body, deadline);
    return {
      status: response.status,
      headers: headersOf(response),
      body,
      cancel: () => {
        deadline.cancel();
        void body.return(undefined);
      },
    };
  }
}
