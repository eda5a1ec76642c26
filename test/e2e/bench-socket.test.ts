// Guards the benchmark's websocket (bench/raw-socket.ts): every message arrives whole and in order
// whatever its size and however TCP splits it, and a large message's long base64 string is
// replaced by its exact decoded size, never guessed when the message has no such string; and it
// acknowledges promptly: a read it answers with nothing gets an empty unsolicited pong, a read it
// answers with a message gets none.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Server } from "bun";
import { RawSocket } from "../../bench/raw-socket.ts";

let server: Server<undefined>;
/**
 * Answers "quiet" with one message, "m<n>" with "m<n-1>" down to "done", and "count" with the
 * pongs it has had; counts every pong.
 */
let pongServer: Server<undefined>;
const pongs: { count: number; payloads: number[]; onPong: (() => void) | null } = {
  count: 0,
  payloads: [],
  onPong: null,
};
/** What the server sends when asked for a case: the frames, in order. */
const CASES: Record<string, string[]> = {};

const b64Of = (bytes: number) => Buffer.alloc(bytes, 0xab).toString("base64");
const output = (seq: number, bytes: number) =>
  `{"method":"process/output","params":{"processId":"p","seq":${seq},"stream":"stdout","chunk":"${b64Of(bytes)}"}}`;
// Key order as a server might choose it: the long string first, more JSON after it.
const reordered = (bytes: number) => `{"result":{"dataBase64":"${b64Of(bytes)}","extra":"x"},"id":7}`;
const listing = JSON.stringify({
  id: 3,
  result: { entries: Array.from({ length: 2000 }, (_, i) => ({ fileName: `entry-${i}`, isFile: true })) },
});

CASES.sizes = [1, 4093, 4094, 4095, 4096, 8192, 11000, 1 << 20].map((bytes, i) => output(i + 1, bytes));
CASES.reordered = [reordered(3 << 20), reordered(5000)];
CASES.listing = [listing, output(1, 3)];
// Enough small frames (~3 MB) that read boundaries fall inside some of them.
CASES.small = Array.from({ length: 100_000 }, (_, i) => JSON.stringify({ id: i, result: { n: i } }));

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, s) => (s.upgrade(request) ? undefined : new Response("no", { status: 400 })),
    websocket: {
      message(ws, name) {
        // Corked: many frames in one write, so frame boundaries fall anywhere in the reads.
        ws.cork(() => {
          for (const frame of CASES[String(name)] ?? []) ws.sendText(frame);
        });
      },
    },
  });
});
afterAll(() => server.stop(true));

beforeAll(() => {
  pongServer = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, s) => (s.upgrade(request) ? undefined : new Response("no", { status: 400 })),
    websocket: {
      message(ws, text) {
        const name = String(text);
        if (name === "quiet") ws.sendText("a message the client does not answer");
        else if (name === "count") ws.sendText(`pongs:${pongs.count}`);
        else if (/^m\d+$/.test(name)) {
          const n = Number(name.slice(1));
          ws.sendText(n > 0 ? `m${n - 1}` : "done");
        }
      },
      pong(_ws, data) {
        pongs.count++;
        pongs.payloads.push(data.byteLength);
        pongs.onPong?.();
      },
    },
  });
});
afterAll(() => pongServer.stop(true));

/** What the socket should deliver for a frame: large base64 strings elided to their size. */
function expected(frame: string): unknown {
  const value = JSON.parse(frame);
  const elide = (holder: Record<string, unknown>, key: string) => {
    const text = holder[key] as string;
    if (frame.length >= 4096 && text.length > 3000) {
      holder[key] = { $base64Bytes: Buffer.from(text, "base64").length };
    }
  };
  if (value.params?.chunk !== undefined) elide(value.params, "chunk");
  if (value.result?.dataBase64 !== undefined) elide(value.result, "dataBase64");
  return value;
}

async function receive(name: string): Promise<unknown[]> {
  const frames = CASES[name] as string[];
  const received: unknown[] = [];
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const socket = await RawSocket.connect(`ws://127.0.0.1:${server.port}`, {
    message(text) {
      received.push(JSON.parse(text));
      if (received.length === frames.length) resolve();
    },
    end: reject,
  });
  socket.sendText(name);
  await promise;
  socket.close();
  return received;
}

test.each(Object.keys(CASES))("%s: every message, whole and in order", async (name) => {
  expect(await receive(name)).toEqual((CASES[name] as string[]).map(expected));
});

test("a read answered with nothing is acknowledged by an empty unsolicited pong", async () => {
  pongs.count = 0;
  pongs.payloads = [];
  const { promise: ponged, resolve } = Promise.withResolvers<void>();
  pongs.onPong = resolve;
  const { promise: ended, reject } = Promise.withResolvers<never>();
  const socket = await RawSocket.connect(`ws://127.0.0.1:${pongServer.port}`, { message() {}, end: reject });
  socket.sendText("quiet");
  await Promise.race([ponged, ended]);
  expect(pongs.payloads).toEqual([0]);
  expect(socket.pongsSent).toBe(1);
  socket.close();
  pongs.onPong = null;
});

test("a read answered with a message gets no pong", async () => {
  pongs.count = 0;
  const { promise: counted, resolve, reject } = Promise.withResolvers<number>();
  const socket = await RawSocket.connect(`ws://127.0.0.1:${pongServer.port}`, {
    message(text) {
      // Answered at once, as the load generator answers with its next request.
      if (text.startsWith("pongs:")) resolve(Number(text.slice("pongs:".length)));
      else socket.sendText(text === "done" ? "count" : text);
    },
    end: reject,
  });
  socket.sendText("m20");
  // The server counts on "count", after every pong owed for the earlier reads (one TCP stream).
  expect(await counted).toBe(0);
  socket.close();
});
