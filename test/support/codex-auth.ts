// A Codex home for cloud tests: a temp dir holding an auth.json shaped like the one `codex login`
// writes, with a real-looking (unsigned) id_token JWT.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./tmp.ts";

export interface AuthFields {
  accessToken?: string;
  refreshToken?: string;
  /** tokens.account_id; omit it to make the executor read the id_token claim. */
  accountId?: string;
  /** The chatgpt_account_id claim of the id_token. */
  claimAccountId?: string;
}

/** header.payload.signature, base64url, like the id_token Codex stores (never verified by us). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.${Buffer.from("not-a-signature").toString("base64url")}`;
}

export function authJson(fields: AuthFields = {}): Record<string, unknown> {
  const {
    accessToken = "access-1",
    refreshToken = "refresh-1",
    accountId,
    claimAccountId = "acct-1",
  } = fields;
  return {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    tokens: {
      id_token: fakeJwt({
        email: "dev@example.com",
        "https://api.openai.com/auth": { chatgpt_account_id: claimAccountId, chatgpt_plan_type: "pro" },
      }),
      access_token: accessToken,
      refresh_token: refreshToken,
      ...(accountId === undefined ? {} : { account_id: accountId }),
    },
    last_refresh: "2025-01-01T00:00:00Z",
  };
}

export interface CodexHome extends Disposable {
  path: string;
  authPath: string;
  write(content: Record<string, unknown> | string): void;
  read(): Record<string, unknown>;
}

export function codexHome(content: Record<string, unknown> | string | null = authJson()): CodexHome {
  const dir = tempDir("codex-home-");
  const authPath = join(dir.path, "auth.json");
  const write = (value: Record<string, unknown> | string) =>
    writeFileSync(authPath, typeof value === "string" ? value : JSON.stringify(value, null, 2), {
      mode: 0o600,
    });
  if (content !== null) write(content);
  return {
    path: dir.path,
    authPath,
    write,
    read: () => JSON.parse(readFileSync(authPath, "utf8")) as Record<string, unknown>,
    [Symbol.dispose]: () => dir[Symbol.dispose](),
  };
}
