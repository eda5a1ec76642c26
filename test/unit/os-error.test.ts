import { expect, test } from "bun:test";
import { fsError, osErrorText } from "../../src/os-error.ts";

test("an OS error reads `<text> (os error <errno>)`, for the codes worded by hand and any other", () => {
  expect(osErrorText({ code: "ENOENT" })).toBe("No such file or directory (os error 2)");
  expect(osErrorText({ code: "ESPIPE" })).toBe("Illegal seek (os error 29)");
  // Not in the table: the runtime's text, capitalized, never Node's `CODE: text, syscall` message.
  const refused = Object.assign(new Error("ECONNREFUSED: connection refused, connect"), {
    code: "ECONNREFUSED",
  });
  expect(osErrorText(refused)).toBe("Connection refused (os error 111)");
  // Not an OS error at all: its own message.
  expect(osErrorText(Object.assign(new Error("made up"), { code: "ERR_MADE_UP" }))).toBe("made up");
});

test("fsError sorts errors by kind: not found, refused, or internal", () => {
  expect(fsError({ code: "ENOENT" }).code).toBe(-32004);
  expect(fsError({ code: "EINVAL" }).code).toBe(-32600);
  expect(fsError({ code: "ESPIPE" }).code).toBe(-32603);
});
