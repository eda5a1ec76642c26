// Refresh a ChatGPT access token the way Codex does, and write the new tokens back to auth.json
// atomically (temp file in the same directory, then rename), keeping every other field.
import { randomBytes } from "node:crypto";
import { chmod, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { CloudError } from "../errors.ts";
import { readAuthObject } from "./auth.ts";
import { isTransientStatus, postJson, preview, statusLine } from "./http.ts";

export const DEFAULT_REFRESH_TOKEN_URL = "https://auth.openai.com/oauth/token";
const CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";

export const RefreshResponse = z.object({
  id_token: z.string().nullish(),
  access_token: z.string().nullish(),
  refresh_token: z.string().nullish(),
});
export type RefreshResponse = z.infer<typeof RefreshResponse>;

const RefreshErrorBody = z.object({
  error: z.union([
    z.string(),
    z.object({ code: z.string().nullish(), message: z.string().nullish() }).loose(),
  ]),
  error_description: z.string().nullish(),
});

export function refreshTokenUrl(env: Record<string, string | undefined> = process.env): string {
  return env.CODEX_REFRESH_TOKEN_URL_OVERRIDE?.trim() || DEFAULT_REFRESH_TOKEN_URL;
}

export interface RefreshOptions {
  url: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function refreshTokens(refreshToken: string, options: RefreshOptions): Promise<RefreshResponse> {
  const body = {
    client_id: CLIENT_ID,
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    scope: "openid profile email",
  };
  let answer: Awaited<ReturnType<typeof postJson>>;
  try {
    answer = await postJson(options.url, body, options);
  } catch (error) {
    throw new CloudError(`cannot refresh the ChatGPT access token: ${(error as Error).message}`, {
      cause: error,
      isTransient: error instanceof CloudError && error.isTransient,
    });
  }
  if (answer.status < 200 || answer.status >= 300) throw refreshError(answer.status, answer.text);
  const parsed = RefreshResponse.safeParse(safeJson(answer.text));
  if (!parsed.success || !parsed.data.access_token) {
    throw new CloudError(
      `cannot refresh the ChatGPT access token (${statusLine(answer.status)}): the answer holds no access token; run \`codex login\``,
    );
  }
  return parsed.data;
}

function refreshError(status: number, text: string): CloudError {
  const parsed = RefreshErrorBody.safeParse(safeJson(text));
  let detail = preview(text) ?? "empty error body";
  if (parsed.success) {
    const { error, error_description } = parsed.data;
    detail =
      typeof error === "string"
        ? [error, error_description].filter(Boolean).join(": ")
        : [error.code, error.message].filter(Boolean).join(": ") || detail;
  }
  return new CloudError(
    `cannot refresh the ChatGPT access token (${statusLine(status)}): ${detail}; run \`codex login\``,
    { status, isTransient: isTransientStatus(status) },
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Write refreshed tokens into auth.json, keeping its other fields and its mode. */
export async function writeRefreshedTokens(path: string, refreshed: RefreshResponse): Promise<void> {
  const current = await readAuthObject(path);
  const tokens = { ...((current.tokens as Record<string, unknown> | null | undefined) ?? {}) };
  for (const key of ["id_token", "access_token", "refresh_token"] as const) {
    if (refreshed[key]) tokens[key] = refreshed[key];
  }
  const next = { ...current, tokens, last_refresh: new Date().toISOString() };
  const mode = await stat(path).then(
    (s) => s.mode & 0o777,
    () => 0o600,
  );
  const temp = join(dirname(path), `.auth.json.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(next, null, 2)}\n`, { mode, flag: "wx" });
    await chmod(temp, mode);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new CloudError(`cannot write refreshed tokens to ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
