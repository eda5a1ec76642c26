// A websocket client on a raw TCP socket, for what a browser-like client cannot do: stop reading
// (to fill the server's send buffer), ignore pings (a half-open peer), or send arbitrary bytes.
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { waitFor } from "./wait.ts";

export interface RawOptions {
  headers?: Record<string, string>;
  /** Answer pings with pongs, as every real client does (default true). */
  answerPings?: boolean;
}

export class RawWebSocket {
  readonly messages: {
    method?: string;
    id?: unknown;
    params?: Record<string, unknown>;
    result?: unknown;
    error?: unknown;
  }[] = [];
  pings = 0;
  isClosed = false;
  #buffer = Buffer.alloc(0);
  #nextId = 1;

  private constructor(
    readonly socket: Socket,
    readonly answerPings: boolean,
  ) {}

  static async connect(url: string, options: RawOptions = {}): Promise<RawWebSocket> {
    const { hostname, port, pathname } = new URL(url);
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port) });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const key = randomBytes(16).toString("base64");
    const headers = { ...options.headers };
    socket.write(
      `GET ${pathname || "/"} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join("") +
        "\r\n",
    );
    const ws = new RawWebSocket(socket, options.answerPings ?? true);
    let head = Buffer.alloc(0);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const onHead = (data: Buffer) => {
      head = Buffer.concat([head, data]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onHead);
      const status = head.subarray(0, head.indexOf("\r\n")).toString();
      if (!status.includes(" 101 ")) {
        reject(new Error(`upgrade refused: ${head.toString()}`));
        return;
      }
      socket.on("data", (chunk: Buffer) => ws.#receive(chunk));
      socket.on("close", () => {
        ws.isClosed = true;
      });
      ws.#receive(head.subarray(end + 4));
      resolve();
    };
    socket.on("data", onHead);
    socket.once("close", () => reject(new Error("closed during upgrade")));
    await promise;
    return ws;
  }

  /** Send one text frame (masked, as clients must). */
  send(text: string | Buffer, opcode = 0x1): void {
    const payload = typeof text === "string" ? Buffer.from(text) : text;
    const mask = randomBytes(4);
    const length = payload.length;
    const header =
      length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | length])
        : length < 65536
          ? Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff])
          : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigEndian64(length)]);
    const masked = Buffer.alloc(length);
    for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number);
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  request(method: string, params?: unknown): number {
    const id = this.#nextId++;
    this.send(JSON.stringify({ id, method, params }));
    return id;
  }

  notify(method: string, params?: unknown): void {
    this.send(JSON.stringify({ method, params }));
  }

  response(id: number, timeoutMs = 10_000) {
    return waitFor(() => this.messages.find((m) => m.id === id), { label: `response ${id}`, timeoutMs });
  }

  /** Stop reading from the socket: the server's send buffer fills up. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #receive(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const frame = parseFrame(this.#buffer);
      if (!frame) return;
      this.#buffer = this.#buffer.subarray(frame.size);
      if (frame.opcode === 0x9) {
        this.pings++;
        if (this.answerPings) this.send(frame.payload, 0xa);
      } else if (frame.opcode === 0x1 || frame.opcode === 0x2) {
        this.messages.push(JSON.parse(frame.payload.toString()));
      } else if (frame.opcode === 0x8) {
        this.isClosed = true;
      }
    }
  }
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** One unmasked server frame from the front of `data`, or null when incomplete. */
function parseFrame(data: Buffer): { opcode: number; payload: Buffer; size: number } | null {
  if (data.length < 2) return null;
  const opcode = (data[0] as number) & 0x0f;
  let length = (data[1] as number) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return null;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return null;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  if (data.length < offset + length) return null;
  return { opcode, payload: data.subarray(offset, offset + length), size: offset + length };
}
