// Guards parseJson: whatever the frame, it answers exactly what JSON.parse answers (or throws where
// JSON.parse throws), whether or not it lifts a long string out first.
import { expect, test } from "bun:test";
import { parseJson } from "../../src/protocol/json-text.ts";

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
  ["trailing garbage", `{"id":1,"params":{"dataBase64":"${long}"}} x`],
])("%s: throws where JSON.parse throws", (_name, text) => {
  expect(() => JSON.parse(text)).toThrow();
  expect(() => parseJson(text)).toThrow();
});
