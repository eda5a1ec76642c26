// ChatGPT sign-in from the Codex home (`$CODEX_HOME/auth.json`, default ~/.codex), the way Codex
// itself stores it. Every failure is a one-line CloudError telling the user what to do; no message
// ever contains a token.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { CloudError } from "../errors.ts";

export const AuthTokens = z.object({
  id_token: z.string().nullish(),
  access_token: z.string().nullish(),
  refresh_token: z.string().nullish(),
  account_id: z.string().nullish(),
});
export type AuthTokens = z.infer<typeof AuthTokens>;

export const AuthFile = z.object({
  auth_mode: z.string().nullish(),
  OPENAI_API_KEY: z.string().nullish(),
  tokens: AuthTokens.nullish(),
  last_refresh: z.string().nullish(),
});
export type AuthFile = z.infer<typeof AuthFile>;

/** What a cloud request needs. */
export interface ChatGptAuth {
  accessToken: string;
  accountId: string;
  refreshToken: string | null;
}

const LOGIN = "run `codex login` to sign in with ChatGPT";

export function codexHome(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.CODEX_HOME?.trim();
  return fromEnv ? fromEnv : join(homedir(), ".codex");
}

export function authFilePath(env: Record<string, string | undefined> = process.env): string {
  return join(codexHome(env), "auth.json");
}

/** The raw JSON object of auth.json (kept whole so a refresh writes back every field it had). */
export async function readAuthObject(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CloudError(`no Codex sign-in found at ${path}: ${LOGIN}`);
    throw new CloudError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CloudError(`cannot parse ${path}: not valid JSON; ${LOGIN}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new CloudError(`cannot parse ${path}: expected a JSON object; ${LOGIN}`);
  }
  return value as Record<string, unknown>;
}

export async function loadAuth(path: string): Promise<ChatGptAuth> {
  const parsed = AuthFile.safeParse(await readAuthObject(path));
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join(".") || "file";
    throw new CloudError(`cannot parse ${path}: unexpected ${field}; ${LOGIN}`);
  }
  return chatGptAuth(path, parsed.data);
}

function chatGptAuth(path: string, file: AuthFile): ChatGptAuth {
  const mode = file.auth_mode?.toLowerCase();
  const isApiKey =
    mode === "apikey" || mode === "api_key" || (!mode && !file.tokens && !!file.OPENAI_API_KEY);
  if (isApiKey) {
    throw new CloudError(
      `${path} holds an API key sign-in, which is not supported for cloud environments: ${LOGIN}`,
    );
  }
  const tokens = file.tokens;
  if (!tokens?.access_token) throw new CloudError(`${path} has no ChatGPT access token: ${LOGIN}`);
  const accountId = tokens.account_id || accountIdFromIdToken(tokens.id_token);
  if (!accountId) throw new CloudError(`${path} has no ChatGPT account id: ${LOGIN}`);
  return { accessToken: tokens.access_token, accountId, refreshToken: tokens.refresh_token ?? null };
}

const AUTH_CLAIM = "https://api.openai.com/auth";

/** The `chatgpt_account_id` claim of an id_token (a JWT; the signature is not ours to check). */
export function accountIdFromIdToken(idToken: string | null | undefined): string | undefined {
  const payload = idToken?.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
    const auth = (claims as Record<string, unknown> | null)?.[AUTH_CLAIM];
    const id = (auth as Record<string, unknown> | null | undefined)?.chatgpt_account_id;
    return typeof id === "string" && id !== "" ? id : undefined;
  } catch {
    return undefined;
  }
}
