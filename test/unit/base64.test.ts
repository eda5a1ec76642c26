// Guards strict base64 (the reference's rules): padded standard alphabet, canonical last symbol.
import { expect, test } from "bun:test";
import { decodeStrictBase64, isBase64 } from "../../src/protocol/process.ts";

/** A repeatable sequence in [0, 1) (a linear congruential generator), so a failure can be rerun. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

test.each(["", "YQ==", "YWI=", "YWJj", "+/+/", "aGVsbG8="])("accepts %p", (text) => {
  expect(isBase64(text)).toBe(true);
});

test.each(["abc", "YQ", "YQ=", "a b=", "-_-_", "YWJj\nZGVm", "YR==", "YWJ=", "====", "Y===", "!!!!"])(
  "refuses %p",
  (text) => {
    expect(isBase64(text)).toBe(false);
  },
);

test.each(["YW=j", "Y===", "YWJj====", "YW Jj", "YW\tJ", "YWJ\u00e9", "Y-Jj", "YWJ_"])(
  "refuses %p (strictness around the native decoder)",
  (text) => {
    expect(isBase64(text)).toBe(false);
  },
);

test("agrees with decode-and-re-encode on random inputs", () => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ ";
  const random = seededRandom(7);
  for (let i = 0; i < 5000; i++) {
    // Valid encodings of random bytes, half of them with one character changed.
    const bytes = Buffer.from(
      Array.from({ length: Math.floor(random() * 7) }, () => Math.floor(random() * 256)),
    );
    let text = bytes.toString("base64");
    if (text.length > 0 && random() < 0.5) {
      const at = Math.floor(random() * text.length);
      text = text.slice(0, at) + alphabet[Math.floor(random() * alphabet.length)] + text.slice(at + 1);
    }
    const reference = Buffer.from(text, "base64").toString("base64") === text;
    expect([text, decodeStrictBase64(text) !== null]).toEqual([text, reference]);
    // Into a buffer (long enough, or not): the same answer.
    for (const into of [Buffer.alloc(8, 0xee), Buffer.alloc(2, 0xee)]) {
      const decoded = decodeStrictBase64(text, into);
      expect([text, decoded && Buffer.from(decoded).toString("base64")]).toEqual([
        text,
        reference ? text : null,
      ]);
    }
  }
});

test("isBase64 (an expression for short text) agrees with the strict decoder at every length", () => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n\té";
  const random = seededRandom(11);
  for (let i = 0; i < 6000; i++) {
    const length = i < 400 ? i : Math.floor(random() * 400);
    let text = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256))).toString("base64");
    // Most with one character changed, inserted or dropped; a few as they are.
    const edit = random();
    const at = Math.floor(random() * (text.length + 1));
    const char = alphabet[Math.floor(random() * alphabet.length)] as string;
    if (edit < 0.4) text = text.slice(0, at) + char + text.slice(at + 1);
    else if (edit < 0.6) text = text.slice(0, at) + char + text.slice(at);
    else if (edit < 0.8) text = text.slice(0, at) + text.slice(at + 1);
    expect([text, isBase64(text)]).toEqual([text, decodeStrictBase64(text) !== null]);
  }
  // Every last quantum: which symbols may stand before one or two padding characters.
  const symbols = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-. "];
  for (const a of symbols) {
    for (const b of symbols) {
      for (const text of [`${a}${b}==`, `QUJD${a}${b}==`, `Q${a}${b}=`, `QUJDQ${a}${b}=`, `QU${a}${b}`]) {
        expect([text, isBase64(text)]).toEqual([text, decodeStrictBase64(text) !== null]);
      }
    }
  }
});
