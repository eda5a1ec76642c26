// The flags every client command (exec, cp, call) shares, and connecting with them: the URL from
// --url or CODEX_EXEC_SERVER_URL, the token from --token-file or CODEX_EXEC_SERVER_TOKEN, and a
// refused token told apart from a server that cannot be reached.
import type { ExecServerClient } from "../rpc/client.ts";
import { redactUrl } from "../rpc/websocket.ts";
import type { Flags, Values } from "./args.ts";
import { UsageError } from "./options.ts";

export const CLIENT_FLAGS = {
  url: {
    type: "string",
    description: "The server's websocket URL",
    hint: "ws://HOST:PORT",
    env: "CODEX_EXEC_SERVER_URL",
  },
  "token-file": {
    type: "string",
    description: "File holding the server's capability token (env CODEX_EXEC_SERVER_TOKEN: the token)",
    hint: "FILE",
    aliases: ["ws-token-file"],
  },
  "connect-timeout-ms": {
    type: "string",
    description: "Give up connecting after this long",
    hint: "N",
    fallback: "10000",
  },
} as const satisfies Flags;

export interface ClientOptions {
  url: string;
  connectTimeoutMs: number;
  /** Capability token for a server started with --ws-auth capability-token. */
  token?: string;
}

export function clientOptions(values: Values, env = process.env): ClientOptions {
  const url = (values.url as string | undefined) ?? (env.CODEX_EXEC_SERVER_URL || undefined);
  if (!url) throw new UsageError("--url is required (or set CODEX_EXEC_SERVER_URL)");
  if (!/^wss?:\/\//.test(url)) throw new UsageError(`invalid --url '${url}': expected ws://HOST:PORT`);
  const text = (values["connect-timeout-ms"] as string | undefined) ?? "10000";
  const timeout = Number(text);
  if (!/^\d+$/.test(text) || timeout <= 0) {
    throw new UsageError(`invalid --connect-timeout-ms value '${text}': expected an integer >= 1`);
  }
  return {
    url,
    connectTimeoutMs: timeout,
    token: readToken(values["token-file"] as string | undefined, env),
  };
}

/** The token from --token-file, else CODEX_EXEC_SERVER_TOKEN; never printed. */
function readToken(file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (file === undefined) return env.CODEX_EXEC_SERVER_TOKEN?.trim() || undefined;
  let token: string;
  try {
    token = (require("node:fs") as typeof import("node:fs")).readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new UsageError(`cannot read --token-file: ${(error as Error).message}`);
  }
  if (!token) throw new UsageError(`--token-file ${file} is empty`);
  return token;
}

/** A connection failure the user can act on, as one line (exit 255 like ssh). */
export class ConnectError extends Error {}

export async function connect(options: ClientOptions, clientName: string): Promise<ExecServerClient> {
  const { ExecServerClient } = await import("../rpc/client.ts");
  try {
    return await ExecServerClient.connect(options.url, {
      clientName,
      connectTimeoutMs: options.connectTimeoutMs,
      headers: options.token ? { Authorization: `Bearer ${options.token}` } : undefined,
    });
  } catch (error) {
    const status = (error as { httpStatus?: number }).httpStatus;
    if (status === 401) {
      const what = options.token ? "the token was refused (wrong token?)" : "it requires a token";
      throw new ConnectError(
        `${redactUrl(options.url)}: ${what}; pass --token-file FILE or set CODEX_EXEC_SERVER_TOKEN (HTTP 401)`,
      );
    }
    if (status === 403)
      throw new ConnectError(`${redactUrl(options.url)}: the server refused the connection (HTTP 403)`);
    throw new ConnectError((error as Error).message);
  }
}
