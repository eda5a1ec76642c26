// Guards the codec's fast paths: parseJson answers exactly what JSON.parse answers (or throws where
// it throws), whether or not it lifts a long string out first; the encoders write exactly what
// JSON.stringify writes, and what they write parses back under the wire table's schemas.
import { expect, test } from "bun:test";
import {
  Base64Data,
  decodeFrame,
  encodeError,
  encodeNotification,
  encodeOutputNotification,
  encodeRequest,
  encodeResult,
  parseJson,
} from "../../src/protocol/codec.ts";
import { METHODS, NOTIFICATIONS } from "../../src/protocol/methods.ts";

const long = Buffer.alloc(300_000, 0xab).toString("base64");
const cases: Record<string, string> = {
  "a writeFile frame": JSON.stringify({
    id: 1,
    method: "fs/writeFile",
    params: { path: "/t", dataBase64: long },
  }),
  "the long string first": `{"params":{"chunk":"${long}","processId":"p"},"method":"process/write","id":"x"}`,
  "escapes in the long string": JSON.stringify({ id: 2, params: { text: `${long}"\\\n${long}` } }),
  "an escaped quote before it": JSON.stringify({ a: 'say "hi"\\', b: long }),
  "a long key": JSON.stringify({ [long]: 1, b: "x" }),
  "a long array of short strings": JSON.stringify({
    entries: Array.from({ length: 20_000 }, (_, i) => `e${i}`),
  }),
  "two long strings": JSON.stringify({ a: long, b: `${long}x` }),
  "escapes only after it": `{"a":"${long}","b":"x\\n\\"y","c":"\\u0001"}`,
  "an escape as its last character": JSON.stringify({ a: `${long}\\`, b: 1 }),
  "a control character as its first": JSON.stringify({ a: `\u0001${long}` }),
  "space before it": `{"id":1, "a": "${long}" }`,
  "in an array": JSON.stringify({ a: [long, "x"] }),
  "a quote just inside the first LONG_STRING characters": JSON.stringify({
    a: `${"x".repeat(32 * 1024 - 1)}"${long}`,
  }),
  "a short string last": JSON.stringify({ a: long, b: "short" }),
  "unicode around it": JSON.stringify({ name: "é✓😀", data: long, after: "ß" }),
  "a top-level string": JSON.stringify(long),
  small: JSON.stringify({ id: 3, method: "x" }),
};

test.each(Object.keys(cases))("%s: the same value as JSON.parse", (name) => {
  const text = cases[name] as string;
  expect(parseJson(text)).toEqual(JSON.parse(text));
});

test.each([
  ["truncated", `{"id":1,"params":{"dataBase64":"${long}`],
  ["a raw control character in it", `{"id":1,"params":{"dataBase64":"${long}\u0001${long}"}}`],
  ["a raw control character last in it", `{"id":1,"params":{"dataBase64":"${long}\u001f"}}`],
  ["a raw tab first in it", `{"id":1,"params":{"dataBase64":"\t${long}"}}`],
  ["unterminated after a key", `{"id":1,"params":{"dataBase64":"${long}}`],
  ["trailing garbage", `{"id":1,"params":{"dataBase64":"${long}"}} x`],
])("%s: throws where JSON.parse throws", (_name, text) => {
  expect(() => JSON.parse(text)).toThrow();
  expect(() => parseJson(text)).toThrow();
});

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

test.each([0, 1, 2, 3, 100, 32 * 1024, 1024 * 1024 + 1])(
  "a %i-byte output notification: JSON.stringify's text, valid under its schema",
  (n) => {
    const params = {
      processId: 'p "1"\\é',
      seq: 7,
      stream: "stdout" as const,
      chunk: new Base64Data(bytes(n)),
    };
    const text = encodeNotification("process/output", params);
    expect(text).toBe(JSON.stringify({ method: "process/output", params }));
    const decoded = JSON.parse(text);
    expect(NOTIFICATIONS["process/output"].parse(decoded.params)).toEqual({
      ...params,
      chunk: Buffer.from(bytes(n)).toString("base64"),
    });
  },
);

test.each([0, 1, 2, 3, 100, 32 * 1024])(
  "a %i-byte output notification by encodeOutputNotification: encodeNotification's text",
  (n) => {
    const ids = ["p", 'p "1"\\é', "", "tab\there\u0001", "😀 \ud800 lone", "</script>\u2028"];
    // Each id twice over, in turn and again after the others: the encoder remembers the last one.
    for (const processId of [...ids, ...ids.toReversed(), ...ids]) {
      for (const stream of ["stdout", "stderr", "pty"] as const) {
        for (const seq of [1, 7, 2 ** 53 - 1]) {
          const params = { processId, seq, stream, chunk: new Base64Data(bytes(n)) };
          const text = encodeOutputNotification(processId, seq, stream, bytes(n));
          expect(text).toBe(encodeNotification("process/output", params));
          expect(text).toBe(JSON.stringify({ method: "process/output", params }));
        }
      }
    }
  },
);

test.each([0, 5, 4096, 1024 * 1024])("a %i-byte fs/readFile result: JSON.stringify's text, valid", (n) => {
  for (const id of [1, 'x"y', -1]) {
    const result = { dataBase64: new Base64Data(bytes(n)) };
    const text = encodeResult(id, result);
    expect(text).toBe(JSON.stringify({ id, result }));
    // Given as its base64 already (what fs/readFile does), the same frame.
    const fromText = { dataBase64: new Base64Data(bytes(n).toBase64()) };
    expect(encodeResult(id, fromText)).toBe(text);
    expect(JSON.stringify(fromText)).toBe(JSON.stringify(result));
    const decoded = decodeFrame(text);
    expect(decoded.type).toBe("response");
    const parsed = JSON.parse(text);
    expect(METHODS["fs/readFile"].result.parse(parsed.result)).toEqual({
      dataBase64: Buffer.from(bytes(n)).toString("base64"),
    });
  }
});

test("members the fast path writes keep JSON.stringify's order, skip undefined, escape keys", () => {
  const value = { a: undefined, 'k"ey': [1, { b: null }], data: new Base64Data(bytes(9)), z: "é\n" };
  expect(encodeResult(3, value)).toBe(JSON.stringify({ id: 3, result: value }));
  expect(encodeNotification("m", value)).toBe(JSON.stringify({ method: "m", params: value }));
});

test("plain values, requests and errors are JSON.stringify's text", () => {
  const params = { processId: "p", argv: ["/bin/sh"], nested: { data: new Base64Data(bytes(3)) } };
  expect(encodeRequest(9, "process/start", params)).toBe(
    JSON.stringify({ id: 9, method: "process/start", params }),
  );
  expect(encodeResult("r", { isFile: true, size: 3 })).toBe(
    JSON.stringify({ id: "r", result: { isFile: true, size: 3 } }),
  );
  const error = { code: -32600, message: "bad", data: { kind: "invalidRequest" } };
  expect(encodeError(-1, error)).toBe(JSON.stringify({ error, id: -1 }));
});

test("decodeFrame: requests, notifications, responses; anything else is invalid, never a throw", () => {
  expect(decodeFrame('{"id":1,"method":"m","params":{}}')).toEqual({
    type: "request",
    message: { id: 1, method: "m", params: {} },
  });
  expect(decodeFrame(new TextEncoder().encode('{"method":"n"}'))).toEqual({
    type: "notification",
    message: { method: "n" },
  });
  expect(decodeFrame('{"id":"a","result":null}')).toMatchObject({ type: "response" });
  for (const frame of ["[]", "nope", '"s"', '{"id":{},"method":"m"}', new Uint8Array([0xff, 0xfe])])
    expect(decodeFrame(frame).type).toBe("invalid");
});
