// The codec: the only code that turns frames into values and values into frames. Every message
// goes through decodeFrame or one of the encoders; the fast paths for the few messages that carry
// megabytes (output notifications, fs/readFile results, frames with one long string) live here,
// each held by test/unit/codec.test.ts to what JSON.parse / JSON.stringify would give.
import {
  type RequestId,
  type RpcErrorObject,
  type RpcMessage,
  RpcNotification,
  RpcRequest,
  RpcResponse,
} from "./jsonrpc.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decode one frame (text, or binary holding UTF-8 JSON) into one message. Never throws. */
export function decodeFrame(data: string | ArrayBuffer | Uint8Array): RpcMessage {
  let text: string;
  try {
    text = typeof data === "string" ? data : utf8.decode(data);
  } catch {
    return { type: "invalid", reason: "not UTF-8" };
  }
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    return { type: "invalid", reason: `invalid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { type: "invalid", reason: "expected a JSON-RPC message object" };
  }
  const object = value as Record<string, unknown>;
  if ("method" in value) {
    if ("id" in value) {
      const fast = fastRequest(object);
      if (fast) return { type: "request", message: fast };
      const request = RpcRequest.safeParse(value);
      if (request.success) return { type: "request", message: request.data };
      return { type: "invalid", reason: "invalid JSON-RPC request" };
    }
    const fast = fastNotification(object);
    if (fast) return { type: "notification", message: fast };
    const notification = RpcNotification.safeParse(value);
    if (notification.success) return { type: "notification", message: notification.data };
    return { type: "invalid", reason: "invalid JSON-RPC notification" };
  }
  const fast = fastResponse(object);
  if (fast) return { type: "response", message: fast };
  const response = RpcResponse.safeParse(value);
  if (response.success) return { type: "response", message: response.data };
  return { type: "invalid", reason: "expected a JSON-RPC request, notification or response" };
}

// The envelope by hand, for the plain cases (what the schemas in jsonrpc.ts give, or undefined
// for the schema to decide): every frame has one, and a fresh server would run its zod parse in
// the interpreter for the first thousands. Held to the schemas by test/unit/codec.test.ts.

/** A RequestId: a string or a z.int() (a safe integer). */
const isRequestId = (value: unknown): value is string | number =>
  typeof value === "string" || Number.isSafeInteger(value);

export function fastRequest(value: Record<string, unknown>): RpcRequest | undefined {
  const { id, method } = value;
  if (!isRequestId(id) || typeof method !== "string") return undefined;
  return "params" in value ? { id, method, params: value.params } : { id, method };
}

export function fastNotification(value: Record<string, unknown>): RpcNotification | undefined {
  const { method } = value;
  if (typeof method !== "string") return undefined;
  return "params" in value ? { method, params: value.params } : { method };
}

/** Only a successful answer (`id` and `result`); an error answer takes the schema. */
export function fastResponse(value: Record<string, unknown>): RpcResponse | undefined {
  const { id } = value;
  if (!isRequestId(id) || !("result" in value)) return undefined;
  return { id, result: value.result };
}

export function encodeRequest(id: RequestId, method: string, params: unknown): string {
  return JSON.stringify({ id, method, params });
}

export function encodeError(id: RequestId, error: RpcErrorObject): string {
  return JSON.stringify({ error, id });
}

/**
 * Whether text is strict standard base64 (RFC 4648 §4, padded, canonical last symbol). Short text
 * (a keystroke's process/write) is matched by one expression of the same rules rather than
 * decoded into a buffer that is thrown away; test/unit/base64.test.ts holds the two to each other.
 */
export function isBase64(text: string): boolean {
  return text.length <= SHORT_BASE64_LENGTH ? SHORT_BASE64.test(text) : decodeStrictBase64(text) !== null;
}

const SHORT_BASE64_LENGTH = 256;
/** Whole quanta, then at most one padded one whose bits past its last byte are zero. */
const SHORT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

/**
 * The bytes of strict base64, or null. The native decoder in strict mode refuses characters
 * outside the standard alphabet, misplaced or missing padding and non-zero bits after the last
 * byte, but skips ASCII whitespace: the decoded length must then be exactly what the text's
 * length promises. One native pass (~0.15 ms per MiB). Given a buffer long enough, the bytes are
 * decoded into its start (and returned as a view of it) instead of a new one.
 */
export function decodeStrictBase64(text: string, into?: Uint8Array): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const length = (text.length / 4) * 3 - padding;
  const bytes = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  try {
    const { read, written } = bytes.setFromBase64(text, { lastChunkHandling: "strict" });
    return read === text.length && written === bytes.length ? bytes : null;
  } catch {
    return null;
  }
}

/** Bytes as standard padded base64 (what every base64 field of the wire carries). */
export function toBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/**
 * Bytes that travel as base64 (fs/readFile's `dataBase64`, an output chunk), given as the bytes or
 * as their standard padded base64 made already (fs/readFile encodes a file as it reads it). A
 * result or notification holding one as a top-level member of its object is written directly:
 * base64 needs no escaping, so its text goes into the frame as it is, where JSON.stringify would
 * scan and copy megabytes of it. Everywhere else it encodes as its base64 string.
 */
export class Base64Data {
  readonly #data: Uint8Array | string;

  constructor(data: Uint8Array | string) {
    this.#data = data;
  }

  get text(): string {
    return typeof this.#data === "string" ? this.#data : this.#data.toBase64();
  }

  toJSON(): string {
    return this.text;
  }
}

export function encodeResult(id: RequestId, result: unknown): string {
  const members = hasBase64Member(result) ? encodeMembers(result) : null;
  return members === null
    ? JSON.stringify({ id, result })
    : `{"id":${JSON.stringify(id)},"result":${members}}`;
}

export function encodeNotification(method: string, params: unknown): string {
  const members = hasBase64Member(params) ? encodeMembers(params) : null;
  return members === null
    ? JSON.stringify({ method, params })
    : `{"method":${JSON.stringify(method)},"params":${members}}`;
}

/**
 * A process/output notification, the one frame sent per pipe or terminal read: what
 * encodeNotification writes for `{ processId, seq, stream, chunk: new Base64Data(bytes) }`, without
 * building the params or walking their members. Only processId can need escaping (seq is an
 * integer, stream one of three names). Held to encodeNotification and JSON.stringify by
 * test/unit/codec.test.ts.
 */
export function encodeOutputNotification(
  processId: string,
  seq: number,
  stream: "stdout" | "stderr" | "pty",
  bytes: Uint8Array,
): string {
  if (processId !== quotedId.processId) {
    quotedId.processId = processId;
    quotedId.json = JSON.stringify(processId);
  }
  return `{"method":"process/output","params":{"processId":${quotedId.json},"seq":${seq},"stream":"${stream}","chunk":"${bytes.toBase64()}"}}`;
}

/** The last processId encodeOutputNotification wrote, as JSON: a process's chunks come in runs. */
const quotedId = { processId: "", json: '""' };

function hasBase64Member(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  for (const key in value) if ((value as Record<string, unknown>)[key] instanceof Base64Data) return true;
  return false;
}

/** The object as JSON.stringify writes it (own enumerable members in order, undefined left out). */
function encodeMembers(value: Record<string, unknown>): string {
  let text = "";
  for (const key of Object.keys(value)) {
    const member = value[key];
    const encoded = member instanceof Base64Data ? `"${member.text}"` : JSON.stringify(member);
    if (encoded === undefined) continue;
    text += `${text === "" ? "" : ","}${JSON.stringify(key)}:${encoded}`;
  }
  return `{${text}}`;
}

// JSON.parse for frames that carry one very long string (the base64 of fs/writeFile or of a large
// process/write). JSON.parse scans and copies every character of every string: 0.56 ms for the
// frame of a 1 MiB fs/writeFile. Here the long string is found with a few native searches (~0.2
// ms), kept as a slice of the frame (no copy), and only the JSON around it is parsed. Anything
// unusual (an escape or a control character inside the long string, no long string at all) takes
// plain JSON.parse, so the result is always exactly JSON.parse's.

/** Frames shorter than this are parsed as they are. */
const LIFT_FRAMES_FROM = 64 * 1024;
/** A string this long, without escapes, is lifted out before parsing. */
const LONG_STRING = 32 * 1024;

/** A backslash, or a character JSON does not allow raw in a string; searched from lastIndex. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what JSON forbids in a string
const ESCAPE_OR_CONTROL = /[\\\u0000-\u001f]/g;
/** ESCAPE_OR_CONTROL or a quote: where a string ends or stops being plain. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what JSON forbids in a string
const STRING_STOP = /["\\\u0000-\u001f]/g;

/** Stands for the lifted string in the text that is parsed; random, so no frame holds it. */
const PLACEHOLDER = `lifted-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;

export function parseJson(text: string): unknown {
  if (text.length < LIFT_FRAMES_FROM) return JSON.parse(text);
  const span = longString(text);
  if (!span) return JSON.parse(text);
  const [start, end] = span;
  const long = text.slice(start, end);
  let isPlaced = false;
  const value = JSON.parse(`${text.slice(0, start)}${PLACEHOLDER}${text.slice(end)}`, (_key, v) => {
    if (v !== PLACEHOLDER) return v;
    isPlaced = true;
    return long;
  });
  // The placeholder sat where a key is, say: the plain parse decides what that text means.
  return isPlaced ? value : JSON.parse(text);
}

/** The content of the first string value at least LONG_STRING long with no escape in it. */
function longString(text: string): [start: number, end: number] | null {
  let open = -1;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) {
    if (open < 0) {
      open = i;
      // A member's value with no quote in its first LONG_STRING characters is long: one search
      // then finds its end, or what keeps it from being lifted (an escape, a control character),
      // instead of one for its closing quote and another inside it.
      if (text.charCodeAt(open - 1) === 0x3a && text.lastIndexOf('"', open + LONG_STRING + 1) === open) {
        STRING_STOP.lastIndex = open + 1;
        const stop = STRING_STOP.exec(text);
        return stop && text.charCodeAt(stop.index) === 0x22 ? [open + 1, stop.index] : null;
      }
      continue;
    }
    if (text.charCodeAt(i - 1) === 0x5c) {
      // An escape inside this string: if it is the long one, JSON.parse must read it.
      if (i - open > LONG_STRING) return null;
      let backslashes = 1;
      while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 1) continue;
    }
    if (i - open > LONG_STRING) {
      // Its text is its value only without escapes and without control characters (which JSON
      // does not allow in strings: JSON.parse must refuse the frame then). One search for both.
      ESCAPE_OR_CONTROL.lastIndex = open + 1;
      const found = ESCAPE_OR_CONTROL.exec(text);
      return found && found.index < i ? null : [open + 1, i];
    }
    open = -1;
  }
  return null;
}
