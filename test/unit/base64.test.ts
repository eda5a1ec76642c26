// Guards strict base64 (the reference's rules): padded standard alphabet, canonical last symbol.
import { expect, test } from "bun:test";
import { isBase64 } from "../../src/protocol/process.ts";

test.each(["", "YQ==", "YWI=", "YWJj", "+/+/", "aGVsbG8="])("accepts %p", (text) => {
  expect(isBase64(text)).toBe(true);
});

test.each(["abc", "YQ", "YQ=", "a b=", "-_-_", "YWJj\nZGVm", "YR==", "YWJ=", "====", "Y===", "!!!!"])(
  "refuses %p",
  (text) => {
    expect(isBase64(text)).toBe(false);
  },
);
