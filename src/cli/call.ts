// `codex-exec-server call [--url U] METHOD [JSON]`: the handshake (initialize, initialized), one
// request, its result or its error printed as JSON on stdout. For debugging a server by hand, as
// websocat users do, so it speaks the wire directly: any method name is sent, any answer printed,
// nothing checked against our schemas.
import type { Flags } from "./args.ts";
import { CLIENT_FLAGS, clientOptions } from "./client-flags.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./options.ts";

const NAME = "codex-exec-server call";

const FLAGS = { ...CLIENT_FLAGS } as const satisfies Flags;

interface Answer {
  id?: number;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

async function paramsFrom(text: string | undefined): Promise<unknown> {
  if (text === undefined) return {};
  const source = text === "-" ? await new Response(Bun.stdin.stream()).text() : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new UsageError(`invalid JSON params: ${(error as Error).message}`);
  }
}

/** Open the socket, or say in one line why not (the HTTP status of a refused upgrade). */
async function open(url: string, timeoutMs: number, token: string | undefined): Promise<WebSocket> {
  const { openWebSocket } = await import("../rpc/websocket.ts");
  try {
    return await openWebSocket(url, {
      timeoutMs,
      headers: token ? { Authorization: `Bearer ${token}` } : undefined,
    });
  } catch (error) {
    const status = (error as { httpStatus?: number }).httpStatus;
    if (status === 401) throw new Error(`${url}: the token was refused or is missing (HTTP 401)`);
    throw error;
  }
}

export const callCommand: Command = {
  name: NAME,
  maxPositionals: 2,
  help: {
    usage: ["codex-exec-server call [--url ws://HOST:PORT] METHOD [JSON | -]"],
    summary:
      'Connect, initialize, send one request and print its result as JSON on stdout (exit 0), or its error object (exit 1). JSON is the params (default {}; - reads them from stdin). Any method is sent as given, e.g. call fs/getMetadata \'{"path":"/tmp"}\'.',
    flags: FLAGS,
  },
  async run({ values, positionals }) {
    const [method, json] = positionals;
    if (!method) throw new UsageError('expected METHOD [JSON] (e.g. call fs/getMetadata \'{"path":"/"}\')');
    const params = await paramsFrom(json);
    const options = clientOptions(values);
    let ws: WebSocket;
    try {
      ws = await open(options.url, options.connectTimeoutMs, options.token);
    } catch (error) {
      process.stderr.write(`${NAME}: ${(error as Error).message}\n`);
      return 255;
    }
    const answers = new Map<number, PromiseWithResolvers<Answer>>();
    const answer = (id: number) => {
      const waiting = Promise.withResolvers<Answer>();
      answers.set(id, waiting);
      return waiting.promise;
    };
    ws.addEventListener("message", (event) => {
      let message: Answer;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      // Notifications (no id) are not ours to print.
      if (typeof message.id === "number") answers.get(message.id)?.resolve(message);
    });
    ws.addEventListener("close", (event) => {
      for (const waiting of answers.values()) {
        waiting.reject(new Error(`the server closed the connection (code ${event.code})`));
      }
    });
    try {
      const init = answer(1);
      ws.send(JSON.stringify({ id: 1, method: "initialize", params: { clientName: NAME } }));
      const initialized = await init;
      if (initialized.error) throw new Error(`initialize failed: ${initialized.error.message}`);
      ws.send(JSON.stringify({ method: "initialized", params: {} }));
      const reply = answer(2);
      ws.send(JSON.stringify({ id: 2, method, params }));
      const { result, error } = await reply;
      process.stdout.write(`${JSON.stringify(error ?? result ?? null, null, 2)}\n`);
      return error ? 1 : 0;
    } catch (error) {
      process.stderr.write(`${NAME}: ${(error as Error).message}\n`);
      return 255;
    } finally {
      ws.close();
    }
  },
};
