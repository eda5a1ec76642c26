// A faithful fake of the cloud environments service on 127.0.0.1: the executor registry (checks
// headers and body, or answers from a script), the ChatGPT token endpoint, and the rendezvous
// relay that pairs an executor's websocket with a test harness client and can drop either side.

import { createHash } from "node:crypto";
import type { Server, ServerWebSocket, Socket, TCPSocketListener } from "bun";
import { z } from "zod";
import { TestClient } from "./client.ts";
import { waitFor } from "./wait.ts";

export interface ScriptedResponse {
  status: number;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Answer this much later (a slow service). */
  delayMs?: number;
  /** Run before answering (e.g. change auth.json on disk mid-request). */
  before?: () => void | Promise<void>;
}

export interface RecordedRequest {
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface FakeCloudOptions {
  /** Bearer tokens the registry accepts (others get 401). */
  acceptedTokens?: string[];
  accountId?: string;
  /** Where the registry lives: `${prefix}/api/cloud/executor`. */
  pathPrefix?: string;
  /** The environment a registration without environment_id lands in. */
  defaultEnvironmentId?: string;
}

export const RENDEZVOUS_SIGNATURE = "sig-very-secret-0123";

const RegisterBody = z
  .object({
    idempotency_id: z.string().regex(/^codex-exec-server-[0-9a-f]{64}$/),
    environment_id: z.string().min(1).optional(),
    name: z.string().min(1),
    labels: z.record(z.string(), z.string()),
    metadata: z.record(z.string(), z.unknown()),
  })
  .strict();

const RefreshBody = z
  .object({
    client_id: z.literal("app_EMoamEEZ73f0CkXaXp7hrann"),
    grant_type: z.literal("refresh_token"),
    refresh_token: z.string().min(1),
    scope: z.literal("openid profile email"),
  })
  .strict();

type SocketData = { role: "executor" | "harness"; id: string };

interface Pair {
  executor: ServerWebSocket<SocketData> | null;
  harness: ServerWebSocket<SocketData> | null;
  /** Executor frames sent while no harness is attached. */
  pending: (string | Buffer)[];
}

export class FakeCloud implements AsyncDisposable {
  readonly registrations: RecordedRequest[] = [];
  readonly refreshRequests: RecordedRequest[] = [];
  /** Every executor socket the relay accepted, in order. */
  readonly executorConnections: string[] = [];
  /** Every executor upgrade attempt, accepted or not, with the extensions it offered. */
  readonly rendezvousAttempts: { id: string; extensions: string | null }[] = [];
  readonly acceptedTokens: Set<string>;
  readonly #registryScript: ScriptedResponse[] = [];
  readonly #refreshScript: ScriptedResponse[] = [];
  readonly #pairs = new Map<string, Pair>();
  readonly #executorIds = new Map<string, string>();
  readonly #options: Required<FakeCloudOptions>;
  readonly #stopped = new AbortController();
  #refusals = 0;
  #silences = 0;
  /** Handshakes the silent rendezvous completed (it then never answers anything: half-open). */
  silentConnections = 0;
  readonly #silentSockets = new Set<Socket<{ buffered: string }>>();
  readonly #silent: TCPSocketListener<{ buffered: string }>;
  readonly server: Server<SocketData>;

  constructor(options: FakeCloudOptions = {}) {
    this.#options = {
      acceptedTokens: ["access-1"],
      accountId: "acct-1",
      pathPrefix: "",
      defaultEnvironmentId: "env-auto",
      ...options,
    };
    this.acceptedTokens = new Set(this.#options.acceptedTokens);
    this.server = Bun.serve<SocketData>({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request, server) => this.#fetch(request, server),
      websocket: {
        open: (ws) => this.#open(ws),
        message: (ws, message) => this.#relay(ws, message),
        close: (ws) => this.#closed(ws),
      },
    });
    this.#silent = this.#listenSilent();
  }

  /** `http://127.0.0.1:PORT` (add the path prefix yourself when testing one). */
  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  get tokenUrl(): string {
    return `${this.url}/oauth/token`;
  }

  /** Answer the next registrations with these, in order, before any checks. */
  scriptRegistry(...responses: ScriptedResponse[]): void {
    this.#registryScript.push(...responses);
  }

  /** Answer the next token refreshes with these (unscripted refreshes get 400 invalid_grant). */
  scriptRefresh(...responses: ScriptedResponse[]): void {
    this.#refreshScript.push(...responses);
  }

  /** Refuse the next `count` executor websocket upgrades with 503. */
  refuseRendezvous(count: number): void {
    this.#refusals += count;
  }

  /** Send the next `count` registrations to a rendezvous that accepts, then never answers. */
  silenceRendezvous(count: number): void {
    this.#silences += count;
  }

  isExecutorConnected(id: string): boolean {
    return !!this.#pairs.get(id)?.executor;
  }

  /** Wait until the executor `id` has a rendezvous socket, then connect a harness to it. */
  async harness(id = "exec-1"): Promise<TestClient> {
    await waitFor(() => this.isExecutorConnected(id), { label: `executor ${id} on the rendezvous` });
    return TestClient.connect(`ws://127.0.0.1:${this.server.port}/harness/${id}`);
  }

  /** Close the executor's rendezvous socket (the relay then closes the harness side too). */
  dropExecutor(id = "exec-1"): void {
    this.#pairs.get(id)?.executor?.close(1012, "rendezvous restarting");
  }

  /** Close the harness side (the relay then closes the executor side too). */
  dropHarness(id = "exec-1"): void {
    this.#pairs.get(id)?.harness?.close(1001, "harness gone");
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    for (const socket of this.#silentSockets) socket.end();
    this.#silent.stop(true);
    await this.server.stop(true);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #fetch(request: Request, server: Server<SocketData>): Promise<Response | undefined> {
    const url = new URL(request.url);
    const prefix = this.#options.pathPrefix;
    if (request.method === "POST" && url.pathname === `${prefix}/api/cloud/executor`) {
      return this.#register(request, url);
    }
    if (request.method === "POST" && url.pathname === "/oauth/token") return this.#refresh(request, url);
    const rendezvous = /^\/rendezvous\/([^/]+)$/.exec(url.pathname);
    if (rendezvous) return this.#upgradeExecutor(request, url, server, rendezvous[1] as string);
    const harness = /^\/harness\/([^/]+)$/.exec(url.pathname);
    if (harness) {
      const id = harness[1] as string;
      if (!this.isExecutorConnected(id)) return new Response("no executor", { status: 404 });
      if (server.upgrade(request, { data: { role: "harness", id } })) return undefined;
      return new Response("upgrade failed", { status: 400 });
    }
    return errorResponse(404, "not_found", `no route for ${request.method} ${url.pathname}`);
  }

  async #register(request: Request, url: URL): Promise<Response> {
    const recorded = await record(request, url);
    this.registrations.push(recorded);
    const scripted = this.#registryScript.shift();
    if (scripted) return this.#answer(scripted);
    const { headers, body } = recorded;
    if (!headers["content-type"]?.startsWith("application/json")) {
      return errorResponse(415, "bad_content_type", "expected application/json");
    }
    const token = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
    if (!token || !this.acceptedTokens.has(token)) {
      return errorResponse(401, "invalid_token", "access token rejected");
    }
    if (headers["chatgpt-account-id"] !== this.#options.accountId) {
      return errorResponse(400, "account_mismatch", "chatgpt-account-id does not match the token");
    }
    const parsed = RegisterBody.safeParse(body);
    if (!parsed.success) return errorResponse(400, "invalid_request", parsed.error.message);
    const key = parsed.data.idempotency_id;
    const id = this.#executorIds.get(key) ?? `exec-${this.#executorIds.size + 1}`;
    this.#executorIds.set(key, id);
    let port = this.server.port;
    if (this.#silences > 0) {
      this.#silences--;
      port = this.#silent.port;
    }
    return Response.json({
      id,
      environment_id: parsed.data.environment_id ?? this.#options.defaultEnvironmentId,
      url: `ws://127.0.0.1:${port}/rendezvous/${id}?role=executor&sig=${RENDEZVOUS_SIGNATURE}`,
    });
  }

  async #refresh(request: Request, url: URL): Promise<Response> {
    const recorded = await record(request, url);
    this.refreshRequests.push(recorded);
    const scripted = this.#refreshScript.shift();
    if (!RefreshBody.safeParse(recorded.body).success) {
      return Response.json({ error: "invalid_request" }, { status: 400 });
    }
    if (scripted) return this.#answer(scripted);
    return Response.json({ error: "invalid_grant", error_description: "unknown token" }, { status: 400 });
  }

  async #answer({ status, body, delayMs, before }: ScriptedResponse): Promise<Response> {
    if (delayMs) await abortableDelay(delayMs, this.#stopped.signal);
    await before?.();
    if (typeof body === "string" || body === undefined) return new Response(body ?? "", { status });
    return Response.json(body, { status });
  }

  #upgradeExecutor(request: Request, url: URL, server: Server<SocketData>, id: string): Response | undefined {
    const extensions = request.headers.get("sec-websocket-extensions");
    this.rendezvousAttempts.push({ id, extensions });
    if (url.searchParams.get("sig") !== RENDEZVOUS_SIGNATURE)
      return new Response("bad signature", { status: 403 });
    // Codex's service (tungstenite) drops handshakes that offer compression.
    if (extensions?.includes("permessage-deflate")) return new Response("no extensions", { status: 400 });
    if (this.#refusals > 0) {
      this.#refusals--;
      return new Response("rendezvous unavailable", { status: 503 });
    }
    if (server.upgrade(request, { data: { role: "executor", id } })) return undefined;
    return new Response("upgrade failed", { status: 400 });
  }

  /** A websocket peer gone silent: it completes the handshake, then reads and answers nothing. */
  #listenSilent(): TCPSocketListener<{ buffered: string }> {
    return Bun.listen<{ buffered: string }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (socket) => {
          socket.data = { buffered: "" };
          this.#silentSockets.add(socket);
        },
        data: (socket, chunk) => {
          if (socket.data.buffered === "done") return;
          socket.data.buffered += chunk.toString("latin1");
          if (!socket.data.buffered.includes("\r\n\r\n")) return;
          const key = /sec-websocket-key: *(\S+)/i.exec(socket.data.buffered)?.[1] ?? "";
          const accept = createHash("sha1").update(`${key}${WS_GUID}`).digest("base64");
          socket.write(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
          );
          socket.data.buffered = "done";
          this.silentConnections++;
        },
        close: (socket) => {
          this.#silentSockets.delete(socket);
        },
      },
    });
  }

  #pair(id: string): Pair {
    let pair = this.#pairs.get(id);
    if (!pair) {
      pair = { executor: null, harness: null, pending: [] };
      this.#pairs.set(id, pair);
    }
    return pair;
  }

  #open(ws: ServerWebSocket<SocketData>): void {
    const pair = this.#pair(ws.data.id);
    if (ws.data.role === "executor") {
      pair.executor?.close(1000, "replaced");
      pair.executor = ws;
      pair.pending = [];
      this.executorConnections.push(ws.data.id);
      return;
    }
    pair.harness?.close(1000, "replaced");
    pair.harness = ws;
    for (const frame of pair.pending.splice(0)) ws.send(frame);
  }

  #relay(ws: ServerWebSocket<SocketData>, message: string | Buffer): void {
    const pair = this.#pair(ws.data.id);
    if (ws.data.role === "harness") {
      pair.executor?.send(message);
    } else if (pair.harness) {
      pair.harness.send(message);
    } else {
      pair.pending.push(message);
    }
  }

  /** One side gone ends the pairing: the relay closes the other side. */
  #closed(ws: ServerWebSocket<SocketData>): void {
    const pair = this.#pair(ws.data.id);
    if (ws.data.role === "executor" && pair.executor === ws) {
      pair.executor = null;
      pair.harness?.close(1012, "executor gone");
    } else if (ws.data.role === "harness" && pair.harness === ws) {
      pair.harness = null;
      pair.executor?.close(1000, "harness gone");
    }
  }
}

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

function errorResponse(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

async function record(request: Request, url: URL): Promise<RecordedRequest> {
  const text = await request.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { path: url.pathname, headers: Object.fromEntries(request.headers), body };
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  const timer = setTimeout(resolve, ms);
  signal.addEventListener("abort", () => {
    clearTimeout(timer);
    resolve();
  });
  return promise;
}
