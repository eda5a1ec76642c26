// Guards the path codec: normalizePath's fast path (a path already normal is returned as it is)
// answers what the plain split-and-join gives for every path, and decodePath takes both dialects.
import { expect, test } from "bun:test";
import { decodePath, normalizePath, PathError, toFileUri } from "../../src/protocol/path.ts";

/** The obvious normalization the fast path must agree with. */
function plainNormalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

test("normalizePath agrees with the plain split-and-join, on edge cases and random paths", () => {
  const cases = [
    "/",
    "/a",
    "/a/",
    "//",
    "/a//b",
    "/./a",
    "/a/.",
    "/a/..",
    "/..",
    "/a/.b",
    "/a/..b",
    "/a/b./c",
  ];
  for (const path of [...cases, "/.../x", "/a/b/../../..", "/é/ü", "/a.", "/.", "/a/./"])
    expect([path, normalizePath(path)]).toEqual([path, plainNormalize(path)]);
  const alphabet = ["a", "/", ".", "é"];
  for (let i = 0; i < 20_000; i++) {
    let path = "/";
    for (let n = Math.floor(Math.random() * 12); n > 0; n--) path += alphabet[Math.floor(Math.random() * 4)];
    if (normalizePath(path) !== plainNormalize(path))
      expect([path, normalizePath(path)]).toEqual([path, plainNormalize(path)]);
  }
});

test("decodePath: plain paths and file:// URIs alike; what it refuses", () => {
  expect(decodePath("/srv/w/../x/")).toBe("/srv/x");
  expect(decodePath("file:///srv/w%C3%B6rk%20dir%2525%23x/a")).toBe("/srv/wörk dir%25#x/a");
  expect(decodePath("file://localhost/srv")).toBe("/srv");
  expect(decodePath("file:/tmp")).toBe("/tmp");
  expect(decodePath(toFileUri("/a b/c%d#e?f"))).toBe("/a b/c%d#e?f");
  for (const bad of [
    "",
    "rel",
    "http://x/a",
    "file://host/a",
    "file:///a?q",
    "file:///a#f",
    "file:///%FF",
    "/a\0b",
    "/\ud800",
  ])
    expect(() => decodePath(bad)).toThrow(PathError);
});
