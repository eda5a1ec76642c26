// The load generator's websocket: RFC 6455 on a raw TCP socket (Bun.connect), built to cost the
// generator as little as possible so that the server is what gets measured. The runtime's
// WebSocket turns every frame into a string and JSON.parse reads all of it: for a 1 MiB
// fs/readFile that is over a millisecond of the generator's CPU per call, about as much as the
// server spends, and half the CPU of an output flood. Here a large message is never made a
// string: only its first and last bytes are kept, the one long string in it (the base64 of an
// output chunk or a file) is measured, and the rest is parsed with the long string replaced by
// `{"$base64Bytes": n}`. Frames are sent with a zero mask key (masking is then the identity).
//
// It acknowledges promptly, as a client with traffic of its own would: after a read that it
// answered with nothing, it sends an empty unsolicited pong (RFC 6455 §5.5.3 allows one, and the
// peer must not answer it). Without that, a server that writes a message in two small segments
// without TCP_NODELAY has the second held by Nagle's algorithm until the kernel's delayed-ACK timer
// fires on this side (~40 ms on Linux), and the bench would measure that timer, not the server.
// TCP_QUICKACK is not reachable from Bun (node:net has setNoDelay only, which governs our sends).

/** Messages at least this long are parsed by their head and tail only. */
const LARGE_BYTES = 4096;
/** Head and tail kept of a large message: more than any JSON around its long string. */
const EDGE_BYTES = 512;

const QUOTE = 0x22;

export interface ElidedBase64 {
  $base64Bytes: number;
}

/** A message being received, possibly over several frames and many TCP reads. */
class Incoming {
  length = 0;
  /** The pieces as read (each read is a fresh buffer, so they are kept without copying). */
  #pieces: Buffer[] = [];
  /** Set once the message is known to be large with one long string: the text before it. */
  #head: string | null = null;
  #isDecided = false;
  #tail: Buffer<ArrayBufferLike> = Buffer.alloc(0);

  add(piece: Buffer): void {
    this.length += piece.byteLength;
    if (this.#head !== null) {
      this.#tail =
        piece.byteLength >= EDGE_BYTES
          ? piece.subarray(-EDGE_BYTES)
          : Buffer.concat([this.#tail, piece]).subarray(-EDGE_BYTES);
      return;
    }
    this.#pieces.push(piece);
    if (!this.#isDecided && this.length >= LARGE_BYTES) this.#decide();
  }

  /** Elide a string that opens in the first EDGE_BYTES and, if it ends yet, ends in the last. */
  #decide(): void {
    this.#isDecided = true;
    const all = this.#pieces.length === 1 ? (this.#pieces[0] as Buffer) : Buffer.concat(this.#pieces);
    this.#pieces = [all];
    const { start, end } = longStringIn(all);
    if (start < 0 || (end >= 0 && end < all.byteLength - EDGE_BYTES)) return;
    this.#head = all.toString("latin1", 0, start);
    this.#tail = all.subarray(-EDGE_BYTES);
    this.#pieces = [];
  }

  /** The message's JSON text, a large message's long string replaced by its decoded size. */
  text(): string {
    if (this.#head === null) return Buffer.concat(this.#pieces).toString("utf8");
    const tail = this.#tail;
    const end = tail.indexOf(QUOTE);
    // What the tail holds before the string's end must still be base64: else it ended earlier.
    if (end < 0 || !BASE64_RUN.test(tail.toString("latin1", Math.max(0, end - 64), end))) {
      throw new Error("a large message's long string does not end near the message's end");
    }
    const stringLength = this.length - tail.byteLength + end - (this.#head.length + 1);
    const padding = tail[end - 1] === EQUALS ? (tail[end - 2] === EQUALS ? 2 : 1) : 0;
    const bytes = (stringLength / 4) * 3 - padding;
    return `${this.#head}{"$base64Bytes":${bytes}}${tail.toString("latin1", end + 1)}`;
  }
}

const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
const BASE64_RUN = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The string that is still open after the first EDGE_BYTES of a message: where its opening quote
 * is (-1 if none) and where it ends (-1 if not in `bytes` yet). Quote to quote, a native search
 * each; a quote after an odd run of backslashes is escaped.
 */
function longStringIn(bytes: Buffer): { start: number; end: number } {
  let open = -1;
  for (let i = bytes.indexOf(QUOTE); i >= 0; i = bytes.indexOf(QUOTE, i + 1)) {
    let backslashes = 0;
    while (open >= 0 && bytes[i - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 1) continue;
    if (open < 0) {
      if (i >= EDGE_BYTES) return { start: -1, end: -1 };
      open = i;
    } else if (open >= 0 && i >= EDGE_BYTES) return { start: open, end: i };
    else open = -1;
  }
  return { start: open, end: -1 };
}

/** One masked frame holding `parts` in order (copied once, into the frame). */
export function frame(opcode: number, ...parts: Buffer[]): Buffer {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + extra + 4 + length);
  out[0] = 0x80 | opcode;
  if (extra === 0) out[1] = 0x80 | length;
  else if (extra === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  out.writeUInt32BE(0, 2 + extra); // the mask key: zero, so the payload goes as it is
  let at = 2 + extra + 4;
  for (const part of parts) at += part.copy(out, at);
  return out;
}

export interface SocketHandlers {
  message(text: string): void;
  /** The connection ended (closed by the server, or a message could not be read). */
  end(error: Error): void;
}

export interface SocketOptions {
  /** Send an unsolicited pong after a read answered with nothing (default true; BENCH_PROMPT_ACK=0: false). */
  promptAck?: boolean;
}

/** Unsolicited pongs sent by every socket of this process. */
export const ackPongs = { sent: 0 };

/** An empty pong, masked (with the zero key): the prompt acknowledgement. */
const ACK_PONG = frame(0xa);

export class RawSocket {
  #socket: Bun.Socket<undefined> | null = null;
  #pending: Buffer[] = [];
  #input = Buffer.alloc(0);
  /** The frame being read: its opcode and the payload bytes still to come. */
  #frame: { opcode: number; isFinal: boolean; length: number; remaining: number } | null = null;
  #message: Incoming | null = null;
  #control: Buffer[] = [];
  #isUpgraded = false;
  #isEnded = false;
  #upgraded = Promise.withResolvers<void>();
  /** Whether anything was written since the last read; a pong is owed when not. */
  #hasWrittenSinceRead = true;
  #isAckScheduled = false;
  /** Unsolicited pongs sent so far. */
  pongsSent = 0;

  private constructor(
    readonly handlers: SocketHandlers,
    readonly promptAck: boolean,
  ) {}

  static async connect(
    url: string,
    handlers: SocketHandlers,
    options: SocketOptions = {},
  ): Promise<RawSocket> {
    const { hostname, port, pathname } = new URL(url);
    const raw = new RawSocket(handlers, options.promptAck ?? process.env.BENCH_PROMPT_ACK !== "0");
    raw.#socket = await Bun.connect({
      hostname: hostname.replace(/^\[|\]$/g, ""),
      port: Number(port),
      socket: {
        data: (_socket, data) => {
          raw.#hasWrittenSinceRead = false;
          raw.#scheduleAck();
          try {
            raw.#receive(data);
          } catch (error) {
            // A message that cannot be read leaves the stream out of step: end the connection.
            raw.#onClose(error as Error);
            raw.#socket?.terminate();
          }
        },
        drain: () => raw.#flush(),
        close: () => raw.#onClose(new Error(`connection to ${url} closed`)),
        error: (_socket, error) => raw.#onClose(error),
      },
    });
    raw.#write(
      Buffer.from(
        `GET ${pathname || "/"} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Key: YmVuY2gtbG9hZC1nZW4hIQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      ),
    );
    await raw.#upgraded.promise;
    return raw;
  }

  /** A text frame: a string, or UTF-8 parts sent as one message. */
  sendText(text: string | Buffer[]): void {
    this.#write(frame(0x1, ...(typeof text === "string" ? [Buffer.from(text)] : text)));
  }

  close(): void {
    if (!this.#socket) return;
    this.#write(frame(0x8, Buffer.from([0x03, 0xe8])));
    this.#socket.end();
    this.#socket = null;
  }

  #onClose(error: Error): void {
    if (this.#isEnded) return;
    this.#isEnded = true;
    this.handlers.end(error);
    this.#socket = null;
    this.#upgraded.reject(error);
  }

  /**
   * After this read's handlers and the promise jobs they started have run (setImmediate comes
   * after the microtasks), pong if none of them wrote. One check covers every read before it.
   */
  #scheduleAck(): void {
    if (!this.promptAck || this.#isAckScheduled) return;
    this.#isAckScheduled = true;
    setImmediate(() => {
      this.#isAckScheduled = false;
      if (this.#hasWrittenSinceRead || !this.#socket || !this.#isUpgraded) return;
      this.pongsSent++;
      ackPongs.sent++;
      this.#write(ACK_PONG);
    });
  }

  #write(bytes: Buffer): void {
    this.#hasWrittenSinceRead = true;
    if (this.#pending.length > 0) this.#pending.push(bytes);
    else this.#writeNow(bytes);
  }

  #writeNow(bytes: Buffer): void {
    const written = this.#socket?.write(bytes) ?? bytes.byteLength;
    if (written < bytes.byteLength) this.#pending.unshift(bytes.subarray(written));
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (let i = 0; i < pending.length; i++) {
      this.#writeNow(pending[i] as Buffer);
      if (this.#pending.length > 0) {
        this.#pending.push(...pending.slice(i + 1));
        return;
      }
    }
  }

  #receive(data: Buffer): void {
    if (!this.#isUpgraded) {
      data = this.#upgrade(data);
      if (!this.#isUpgraded) return;
    }
    if (this.#input.byteLength > 0) {
      // The rest of a frame header split across reads (rare: headers are a few bytes).
      data = Buffer.concat([this.#input, data]);
      this.#input = Buffer.alloc(0);
    }
    let offset = 0;
    while (offset < data.byteLength) {
      const current = this.#frame;
      if (current === null) {
        const payloadAt = this.#readHeader(data, offset);
        if (payloadAt < 0) {
          this.#input = Buffer.from(data.subarray(offset));
          return;
        }
        offset = payloadAt;
        continue;
      }
      const take = Math.min(current.remaining, data.byteLength - offset);
      const isWhole = take === current.length && current.opcode === 0x1 && current.isFinal;
      if (isWhole && this.#message === null && take < LARGE_BYTES) {
        // The common case: a small text message whole in this read.
        this.#frame = null;
        offset += take;
        this.handlers.message(data.toString("utf8", offset - take, offset));
        continue;
      }
      this.#payload(current.opcode, data.subarray(offset, offset + take));
      offset += take;
      current.remaining -= take;
      if (current.remaining === 0) this.#endFrame(current);
    }
  }

  /** Read the HTTP upgrade answer; returns the bytes after it. */
  #upgrade(data: Buffer): Buffer {
    this.#input = Buffer.concat([this.#input, data]);
    const end = this.#input.indexOf("\r\n\r\n");
    if (end < 0) return Buffer.alloc(0);
    const status = this.#input.subarray(0, this.#input.indexOf("\r\n")).toString();
    if (!/^HTTP\/1\.1 101 /.test(status)) {
      this.#upgraded.reject(new Error(`upgrade refused: ${status}`));
      return Buffer.alloc(0);
    }
    this.#isUpgraded = true;
    this.#upgraded.resolve();
    const rest = this.#input.subarray(end + 4);
    this.#input = Buffer.alloc(0);
    return rest;
  }

  /** Parse a frame header at `start`; returns where its payload begins, or -1 if incomplete. */
  #readHeader(bytes: Buffer, start: number): number {
    if (bytes.byteLength - start < 2) return -1;
    const first = bytes[start] as number;
    const second = bytes[start + 1] as number;
    let length = second & 0x7f;
    let at = start + 2;
    if (length === 126) {
      if (bytes.byteLength - at < 2) return -1;
      length = bytes.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      if (bytes.byteLength - at < 8) return -1;
      length = Number(bytes.readBigUInt64BE(at));
      at += 8;
    }
    if (second & 0x80) throw new Error("the server masked a frame");
    this.#frame = { opcode: first & 0x0f, isFinal: (first & 0x80) !== 0, length, remaining: length };
    if (length === 0) this.#endFrame(this.#frame);
    return at;
  }

  #payload(opcode: number, piece: Buffer): void {
    if (opcode >= 0x8) this.#control.push(Buffer.from(piece));
    else {
      this.#message ??= new Incoming();
      this.#message.add(piece);
    }
  }

  #endFrame(current: { opcode: number; isFinal: boolean }): void {
    this.#frame = null;
    if (current.opcode >= 0x8) {
      const payload = Buffer.concat(this.#control);
      this.#control = [];
      if (current.opcode === 0x9) this.#write(frame(0xa, payload));
      else if (current.opcode === 0x8) this.close();
      return;
    }
    if (!current.isFinal) return;
    const message = this.#message ?? new Incoming();
    this.#message = null;
    this.handlers.message(message.text());
  }
}
