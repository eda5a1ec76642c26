// A deliberately small wire-level client for tests: raw frames in, raw messages out, so tests see
// exactly what the server sends (ids, error codes, notification order).
import { waitFor } from "./wait.ts";

export type Message = {
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
};

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class TestClient {
  readonly messages: Message[] = [];
  readonly notifications: Message[] = [];
  #nextId = 1;
  #closed = Promise.withResolvers<void>();
  #waiters = new Map<string | number, (message: Message) => void>();
  isOpen = true;

  private constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as Message;
      this.messages.push(message);
      if (message.method !== undefined && message.id === undefined) this.notifications.push(message);
      else if (message.id !== undefined && message.id !== null) {
        this.#waiters.get(message.id)?.(message);
        this.#waiters.delete(message.id);
      }
    });
    ws.addEventListener("close", () => {
      this.isOpen = false;
      this.#closed.resolve();
    });
  }

  static async connect(url: string): Promise<TestClient> {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const opened = Promise.withResolvers<void>();
    ws.addEventListener("open", () => opened.resolve(), { once: true });
    ws.addEventListener("error", () => opened.reject(new Error(`cannot connect to ${url}`)), { once: true });
    await opened.promise;
    return new TestClient(ws);
  }

  /** Connect, initialize (optionally resuming) and send initialized. */
  static async session(url: string, resumeSessionId?: string): Promise<TestClient & { sessionId: string }> {
    const client = await TestClient.connect(url);
    const { sessionId } = (await client.call("initialize", { clientName: "test", resumeSessionId })) as {
      sessionId: string;
    };
    client.notify("initialized", {});
    return Object.assign(client, { sessionId });
  }

  sendRaw(frame: string | Uint8Array): void {
    this.ws.send(frame);
  }

  /** Send a request and return the whole response message. */
  request(method: string, params?: unknown, id: string | number = this.#nextId++): Promise<Message> {
    const { promise, resolve } = Promise.withResolvers<Message>();
    this.#waiters.set(id, resolve);
    this.ws.send(JSON.stringify({ id, method, params }));
    return promise;
  }

  /** Send a request; resolve with its result or reject with an RpcError. */
  async call(method: string, params?: unknown): Promise<unknown> {
    const response = await this.request(method, params);
    if (response.error) throw new RpcError(response.error.code, response.error.message);
    return response.result;
  }

  notify(method: string, params?: unknown): void {
    this.ws.send(JSON.stringify({ method, params }));
  }

  /** The first notification matching, waiting for it if it has not come yet. */
  waitForNotification(
    predicate: (message: Message) => boolean,
    { label = "a notification", timeoutMs = 10_000 } = {},
  ): Promise<Message> {
    return waitFor(() => this.notifications.find(predicate), { label, timeoutMs });
  }

  /** Notifications of one process, in arrival order. */
  eventsOf(processId: string): Message[] {
    return this.notifications.filter((n) => n.params?.processId === processId);
  }

  waitForClosed(processId: string, timeoutMs = 10_000): Promise<Message> {
    return this.waitForNotification(
      (n) => n.method === "process/closed" && n.params?.processId === processId,
      {
        label: `process/closed of ${processId}`,
        timeoutMs,
      },
    );
  }

  /** All output bytes of a process from its notifications, in seq order. */
  outputOf(processId: string, stream?: string): Buffer {
    const chunks = this.eventsOf(processId)
      .filter((n) => n.method === "process/output" && (stream === undefined || n.params?.stream === stream))
      .sort((a, b) => Number(a.params?.seq) - Number(b.params?.seq))
      .map((n) => Buffer.from(String(n.params?.chunk), "base64"));
    return Buffer.concat(chunks);
  }

  async close(): Promise<void> {
    if (this.isOpen) this.ws.close();
    await this.#closed.promise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
