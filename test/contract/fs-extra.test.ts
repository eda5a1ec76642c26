// Guards the 0.169+ FileSystem calls (open/readBlock/writeBlock/close, walk, canonicalize,
// watchMissing, readFile maxBytes) against Environment.local() and Environment.remote(url).
import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InternalError, InvalidRequest, NotFound } from "../../src/errors.ts";
import { ENVIRONMENTS } from "../support/environments.ts";
import { tempDir } from "../support/tmp.ts";
import { waitFor } from "../support/wait.ts";

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
const walkOptions = { maxDepth: 10, maxDirectories: 100, maxEntries: 100, followDirectorySymlinks: false };

describe.each(ENVIRONMENTS)("FileSystem 0.169+ calls (%s)", (_name, makeEnvironment) => {
  test("open: block reads with eof, replace writes, Bad file descriptor across modes", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    const file = join(dir.path, "f.txt");
    writeFileSync(file, "hello world\n");
    const reader = await env.fs.open(file);
    expect(await reader.readBlock(0, 5)).toEqual({ data: Buffer.from("hello"), isEof: false });
    expect(await reader.readBlock(6, 100)).toEqual({ data: Buffer.from("world\n"), isEof: true });
    const writeOnRead = await reader.writeBlock(0, Buffer.from("x")).catch((e) => e);
    expect([writeOnRead.constructor, writeOnRead.message]).toEqual([
      InternalError,
      "Bad file descriptor (os error 9)",
    ]);
    const out = join(dir.path, "out.bin");
    const writer = await env.fs.open(out, { mode: "replace" });
    await writer.writeBlock(0, Buffer.from("hi"));
    await writer.writeBlock(4, Buffer.from("yo"));
    expect(readFileSync(out)).toEqual(Buffer.from("hi\0\0yo"));
    const tooBig = await writer.writeBlock(0, new Uint8Array(1048577)).catch((e) => e);
    expect([tooBig.constructor, tooBig.message]).toEqual([
      InvalidRequest,
      "file write block length must be between 1 and 1048576",
    ]);
    await writer.close();
    const closed = await writer.writeBlock(0, Buffer.from("x")).catch((e) => e);
    expect(closed).toBeInstanceOf(NotFound);
    await reader.close();
  });

  test("open: directories and FIFOs are not files; missing paths NotFound; 128 at most", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    execFileSync("mkfifo", [join(dir.path, "fifo")]);
    for (const path of [dir.path, join(dir.path, "fifo")]) {
      const error = await env.fs.open(path).catch((e) => e);
      expect([error.constructor, error.message]).toEqual([InvalidRequest, `path \`${path}\` is not a file`]);
    }
    expect(await env.fs.open(join(dir.path, "missing")).catch((e) => e)).toBeInstanceOf(NotFound);
    const file = join(dir.path, "f");
    writeFileSync(file, "x");
    const open = await Promise.all(Array.from({ length: 128 }, () => env.fs.open(file)));
    const over = await env.fs.open(file).catch((e) => e);
    expect([over.constructor, over.message]).toEqual([
      InvalidRequest,
      "at most 128 file handles may be open per connection",
    ]);
    await open[0]?.close();
    const again = await env.fs.open(file);
    expect(text((await again.readBlock(0, 1)).data)).toBe("x");
  });

  test("walk and canonicalize: paths come back as absolute paths", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    mkdirSync(join(dir.path, "a b/c"), { recursive: true });
    writeFileSync(join(dir.path, "a b/f#1"), "");
    symlinkSync(join(dir.path, "a b"), join(dir.path, "link"));
    expect(await env.fs.walk(dir.path, walkOptions)).toEqual({
      entries: [
        { path: join(dir.path, "a b"), kind: "directory" },
        { path: join(dir.path, "a b/c"), kind: "directory" },
        { path: join(dir.path, "a b/f#1"), kind: "file" },
      ],
      errors: [],
      isTruncated: false,
    });
    expect((await env.fs.walk(dir.path, { ...walkOptions, maxEntries: 1 })).isTruncated).toBe(true);
    const zero = await env.fs.walk(dir.path, { ...walkOptions, maxEntries: 0 }).catch((e) => e);
    expect([zero.constructor, zero.message]).toEqual([
      InvalidRequest,
      "filesystem walk limits must be greater than zero",
    ]);
    expect(await env.fs.canonicalize(`${dir.path}/link/c/..`)).toBe(join(dir.path, "a b"));
    expect(await env.fs.canonicalize(join(dir.path, "missing")).catch((e) => e)).toBeInstanceOf(NotFound);
  });

  test("watchMissing: fires once when the path appears; stale ids are ignored", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    const fired: number[] = [];
    env.fs.onMissingChanged((watchId) => fired.push(watchId));
    expect(await env.fs.watchMissing(7, [join(dir.path, "a/b")], null)).toBe(true);
    expect(await env.fs.watchMissing(7, [join(dir.path, "x")], null)).toBe(false);
    mkdirSync(join(dir.path, "a"));
    await waitFor(() => fired.length > 0, { label: "fs/missingChanged" });
    expect(fired).toEqual([7]);
    expect(await env.fs.watchMissing(8, [dir.path], null)).toBe(false);
  });

  test("readFile maxBytes: at most that many bytes from the start", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    const file = join(dir.path, "f");
    writeFileSync(file, "0123456789");
    expect(text(await env.fs.readFile(file, { maxBytes: 4 }))).toBe("0123");
    expect(text(await env.fs.readFile(file, { maxBytes: 0 }))).toBe("");
    expect(text(await env.fs.readFile(file, { maxBytes: 100 }))).toBe("0123456789");
    expect(text(await env.fs.readFile(file, { maxBytes: null }))).toBe("0123456789");
  });
});
