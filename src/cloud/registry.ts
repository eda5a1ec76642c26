// The cloud environments registry: `POST {base}/api/cloud/executor` registers this host and
// answers with a signed rendezvous websocket URL. A 401/403 gets one recovery (reload, else
// refresh) and one retry: at most two attempts.
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { CloudError } from "../errors.ts";
import type { ChatGptAuth } from "./auth.ts";
import type { AuthStore } from "./auth-store.ts";
import { isTransientStatus, postJson, preview, statusLine } from "./http.ts";

const PROTOCOL_VERSION = "codex-exec-server-v1";

export const RegisterExecutorRequest = z.object({
  idempotency_id: z.string(),
  environment_id: z.string().optional(),
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  metadata: z.record(z.string(), z.unknown()),
});
export type RegisterExecutorRequest = z.infer<typeof RegisterExecutorRequest>;

export const RegisterExecutorResponse = z.object({
  id: z.string().min(1),
  environment_id: z.string().min(1),
  url: z.string().regex(/^wss?:\/\//i, "expected a ws:// or wss:// URL"),
});
export type RegisterExecutorResponse = z.infer<typeof RegisterExecutorResponse>;

const CloudErrorBody = z.object({
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).loose().nullish(),
});

export interface RegistryOptions {
  /** Already normalized: trimmed, no trailing `/`, path prefix kept. */
  baseUrl: string;
  environmentId?: string;
  name: string;
  auth: AuthStore;
  requestTimeoutMs: number;
  /** Drawn once per launch; stable across re-registrations of one run. */
  launchBytes?: Uint8Array;
}

/** Trim whitespace and trailing slashes, keep any path prefix; undefined when nothing is left. */
export function normalizeBaseUrl(value: string | undefined): string | undefined {
  const trimmed = value?.trim().replace(/\/+$/, "");
  return trimmed ? trimmed : undefined;
}

export function idempotencyId(
  accountId: string,
  environmentId: string | undefined,
  name: string,
  launchBytes: Uint8Array,
): string {
  const hash = createHash("sha256");
  for (const part of [accountId, environmentId ?? "auto", name, PROTOCOL_VERSION]) {
    hash.update(part, "utf8");
    hash.update("\0");
  }
  hash.update(launchBytes);
  return `codex-exec-server-${hash.digest("hex")}`;
}

/** `cloud environments request failed (409 Conflict, no_online_executor): no executor is online` */
export function httpError(status: number, text: string): CloudError {
  let parsed: z.infer<typeof CloudErrorBody> | undefined;
  try {
    const result = CloudErrorBody.safeParse(JSON.parse(text));
    if (result.success) parsed = result.data;
  } catch {}
  const error = parsed?.error;
  const code = error?.code;
  const message = error
    ? (preview(error.message ?? "") ?? preview(text) ?? "empty error body")
    : (preview(text) ?? "empty or malformed error body");
  const head = `cloud environments request failed (${statusLine(status)}${code ? `, ${code}` : ""})`;
  const hint = status === 401 || status === 403 ? "; run `codex login` to sign in again" : "";
  return new CloudError(`${head}: ${message}${hint}`, { status, isTransient: isTransientStatus(status) });
}

export class RegistryClient {
  readonly #options: RegistryOptions;
  readonly #launchBytes: Uint8Array;

  constructor(options: RegistryOptions) {
    this.#options = options;
    this.#launchBytes = options.launchBytes ?? randomBytes(16);
  }

  get endpoint(): string {
    return `${this.#options.baseUrl}/api/cloud/executor`;
  }

  request(auth: ChatGptAuth): RegisterExecutorRequest {
    const { environmentId, name } = this.#options;
    return {
      idempotency_id: idempotencyId(auth.accountId, environmentId, name, this.#launchBytes),
      ...(environmentId === undefined ? {} : { environment_id: environmentId }),
      name,
      labels: {},
      metadata: {},
    };
  }

  async register(signal?: AbortSignal): Promise<RegisterExecutorResponse> {
    const { auth, requestTimeoutMs } = this.#options;
    for (let attempt = 1; ; attempt++) {
      const current = auth.current;
      const answer = await postJson(this.endpoint, this.request(current), {
        headers: { Authorization: `Bearer ${current.accessToken}`, "chatgpt-account-id": current.accountId },
        timeoutMs: requestTimeoutMs,
        signal,
      }).catch((error: CloudError) => {
        throw new CloudError(`cloud environments request failed: ${error.message}`, {
          cause: error,
          isTransient: error.isTransient,
        });
      });
      if (answer.status >= 200 && answer.status < 300) return parseRegistration(answer.status, answer.text);
      if ((answer.status === 401 || answer.status === 403) && attempt === 1) {
        await auth.recover(signal);
        continue;
      }
      throw httpError(answer.status, answer.text);
    }
  }
}

function parseRegistration(status: number, text: string): RegisterExecutorResponse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CloudError(`cloud environments request failed (${statusLine(status)}): the answer is not JSON`);
  }
  const parsed = RegisterExecutorResponse.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new CloudError(
    `cloud environments request failed (${statusLine(status)}): invalid registration answer: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
  );
}
