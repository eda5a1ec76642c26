// One JSON POST with ofetch, bounded by a timeout and the run's stop signal. It never throws on an
// HTTP status (callers decide what a status means); a network failure or a timeout becomes a
// transient CloudError naming the endpoint, never its credentials.
import { STATUS_CODES } from "node:http";
import { ofetch } from "ofetch";
import { CloudError } from "../errors.ts";
import { redactUrl } from "../rpc/websocket.ts";

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

export async function postJson(url: string, body: unknown, options: PostOptions): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await ofetch.raw(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...options.headers },
      body: JSON.stringify(body),
      responseType: "text",
      ignoreResponseError: true,
      retry: 0,
      signal,
    });
    return { status: response.status, text: typeof response._data === "string" ? response._data : "" };
  } catch (error) {
    if (options.signal?.aborted) throw new CloudError("stopped", { cause: error });
    const where = redactUrl(url);
    if (timeout.aborted) {
      throw new CloudError(`${where} did not answer within ${options.timeoutMs} ms`, {
        isTransient: true,
        cause: error,
      });
    }
    throw new CloudError(`cannot reach ${where}: ${networkReason(error)}`, {
      isTransient: true,
      cause: error,
    });
  }
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const text = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return oneLine(text);
}

/** `409 Conflict`: the canonical reason phrase, whatever the server sent. */
export function statusLine(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `${status} ${reason}` : String(status);
}

/** 408, 429 and 5xx may pass; other statuses will not change by asking again. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

const PREVIEW_CHARS = 4096;

/** The start of an error body, on one line; undefined when it is empty. */
export function preview(text: string): string | undefined {
  const trimmed = oneLine(text);
  if (trimmed === "") return undefined;
  return Array.from(trimmed).slice(0, PREVIEW_CHARS).join("");
}
