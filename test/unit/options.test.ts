// Guards --listen parsing (SPEC §1): IP literals only, brackets for IPv6, port range.
import { expect, test } from "bun:test";
import { parseListen, UsageError } from "../../src/cli/options.ts";

test("accepts IPv4 and bracketed IPv6 literals", () => {
  expect(parseListen("ws://127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
  expect(parseListen("ws://[::1]:8080")).toEqual({ host: "::1", port: 8080 });
  expect(parseListen("ws://0.0.0.0:1/")).toEqual({ host: "0.0.0.0", port: 1 });
});

test.each([
  "127.0.0.1:0",
  "http://127.0.0.1:0",
  "ws://127.0.0.1",
  "ws://host.example:80",
  "ws://::1:80",
  "ws://127.0.0.1:0/path",
])("refuses %p", (value) => {
  expect(() => parseListen(value)).toThrow(UsageError);
});

test("IP literals without node:net", () => {
  const { isIpLiteral } = require("../../src/cli/options.ts") as typeof import("../../src/cli/options.ts");
  for (const ok of [
    "127.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "2001:db8::8a2e:370:7334",
    "::ffff:127.0.0.1",
  ]) {
    expect([ok, isIpLiteral(ok)]).toEqual([ok, true]);
  }
  for (const bad of [
    "256.0.0.1",
    "1.2.3",
    "01.2.3.4",
    "localhost",
    "::g",
    "1:2:3:4:5:6:7:8:9",
    "",
    "127.0.0.1 ",
  ]) {
    expect([bad, isIpLiteral(bad)]).toEqual([bad, false]);
  }
});
