// http/request and its streamed body (http/request/bodyDelta): executor-side HTTP(S).
import { z } from "zod";
import { lazy } from "./lazy.ts";
import { unitVariant } from "./variant.ts";

/** One header line; lists of these keep order and repeats both ways. */
export const HttpHeader = lazy(() => z.object({ name: z.string(), value: z.string() }));
export type HttpHeader = z.infer<typeof HttpHeader>;

export const RedirectPolicy = lazy(() => unitVariant(["follow", "stop"]));
export type RedirectPolicy = z.infer<typeof RedirectPolicy>;

/**
 * `headers`, `redirectPolicy` and `streamResponse` may be absent but not null (the reference
 * refuses null for each); `timeoutMs` and `bodyBase64` may be null. The method, URL, header and
 * base64 checks are the handler's, with the reference's messages.
 */
export const HttpRequestParams = lazy(() =>
  z.object({
    method: z.string(),
    url: z.string(),
    requestId: z.string(),
    headers: z.array(HttpHeader).optional(),
    bodyBase64: z.string().nullish(),
    timeoutMs: z.int().min(0).nullish(),
    redirectPolicy: RedirectPolicy.optional(),
    streamResponse: z.boolean().optional(),
  }),
);
export type HttpRequestParams = z.infer<typeof HttpRequestParams>;

/** With streamResponse the body is `""` here and follows as bodyDelta notifications. */
export const HttpRequestResult = lazy(() =>
  z.object({
    status: z.int(),
    headers: z.array(HttpHeader),
    bodyBase64: z.string(),
  }),
);
export type HttpRequestResult = z.infer<typeof HttpRequestResult>;

/** Sent after the result, seq from 1; the last has done true (and error set if the body failed). */
export const HttpBodyDeltaNotification = lazy(() =>
  z.object({
    requestId: z.string(),
    seq: z.int().min(1),
    deltaBase64: z.string(),
    done: z.boolean(),
    error: z.string().nullable(),
  }),
);
export type HttpBodyDeltaNotification = z.infer<typeof HttpBodyDeltaNotification>;
