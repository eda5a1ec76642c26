// Guards walk() and canonicalize() against the order, limits and link rules measured on the
// 0.171 reference (the trees and expected lists are the ones probed in docs/notes-0171-methods.md).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InternalError, InvalidRequest, NotFound } from "../../src/errors.ts";
import { canonicalize, type WalkOptions, walk } from "../../src/fs/walk.ts";
import { tempDir } from "../support/tmp.ts";

const dir = tempDir();
const W = join(dir.path, "w");
const V = join(dir.path, "v");

beforeAll(() => {
  for (const d of ["a/b/c", ".hid/x", "z"]) mkdirSync(join(W, d), { recursive: true });
  for (const f of ["a/f1", "a/b/f2", "a/b/c/f3", ".hid/x/h", "top.txt", ".dot"])
    writeFileSync(join(W, f), "");
  mkdirSync(join(W, "noperm"));
  symlinkSync(join(W, "z"), join(W, "dlink"));
  symlinkSync(join(W, "top.txt"), join(W, "flink"));
  symlinkSync(join(W, "nowhere"), join(W, "dangle"));
  execFileSync("mkfifo", [join(W, "fifo")]);
  for (const d of ["r/s", ".hroot/k"]) mkdirSync(join(V, d), { recursive: true });
  for (const f of ["r/s/t", "r/u", ".hroot/k/m"]) writeFileSync(join(V, f), "");
  symlinkSync(join(V, "r"), join(V, "r/s/loop"));
  symlinkSync(join(V, "r"), join(V, "rl"));
});
afterAll(() => dir[Symbol.dispose]());

const options = (overrides: Partial<WalkOptions> = {}): WalkOptions => ({
  maxDepth: 10,
  maxDirectories: 100,
  maxEntries: 100,
  followDirectorySymlinks: false,
  ...overrides,
});
/** Entries as `d:rel` / `f:rel`, relative to base. */
const listed = async (root: string, base: string, overrides: Partial<WalkOptions> = {}) => {
  const result = await walk(root, options(overrides));
  const entries = result.entries.map((e) => `${e.kind[0]}:${e.path.slice(base.length + 1)}`);
  return { entries, truncated: result.isTruncated, errors: result.errors };
};

const W_ALL = [
  "f:.dot", "d:.hid", "d:a", "d:noperm", "f:top.txt", "d:z",
  "d:.hid/x", "d:a/b", "f:a/f1",
  "f:.hid/x/h", "d:a/b/c", "f:a/b/f2",
  "f:a/b/c/f3",
]; // biome-ignore format: one line per level

describe("walk", () => {
  test("breadth first, names in order; links, FIFOs and dangling links left out", async () => {
    expect(await listed(W, W)).toEqual({ entries: W_ALL, truncated: false, errors: [] });
  });

  test("names sort by their UTF-8 bytes (not UTF-16 code units)", async () => {
    using tree = tempDir();
    for (const name of ["\u{1F600}", "\uFF21", "b", "B"]) writeFileSync(join(tree.path, name), "");
    expect((await listed(tree.path, tree.path)).entries).toEqual(["f:B", "f:b", "f:\uFF21", "f:\u{1F600}"]);
  });

  test("maxDepth: 0 lists the root's children; the depth limit never truncates", async () => {
    expect(await listed(W, W, { maxDepth: 0 })).toEqual({
      entries: W_ALL.slice(0, 6),
      truncated: false,
      errors: [],
    });
    expect(await listed(W, W, { maxDepth: 1 })).toEqual({
      entries: W_ALL.slice(0, 9),
      truncated: false,
      errors: [],
    });
  });

  test("maxEntries counts links too (not FIFOs); an exact fit is not truncated", async () => {
    expect(await listed(W, W, { maxEntries: 3 })).toEqual({
      entries: W_ALL.slice(0, 3),
      truncated: true,
      errors: [],
    });
    expect((await listed(W, W, { maxEntries: 12 })).entries).toEqual(W_ALL.slice(0, 9));
    expect(await listed(W, W, { maxEntries: 15 })).toEqual({
      entries: W_ALL.slice(0, 12),
      truncated: true,
      errors: [],
    });
    expect(await listed(W, W, { maxEntries: 16 })).toEqual({ entries: W_ALL, truncated: false, errors: [] });
  });

  test("maxDirectories counts the root; an exact fit is not truncated", async () => {
    expect(await listed(W, W, { maxDirectories: 1 })).toEqual({
      entries: W_ALL.slice(0, 6),
      truncated: true,
      errors: [],
    });
    expect((await listed(W, W, { maxDirectories: 2 })).entries).toEqual(W_ALL.slice(0, 7));
    expect(await listed(W, W, { maxDirectories: 7 })).toEqual({
      entries: W_ALL.slice(0, 12),
      truncated: true,
      errors: [],
    });
    expect(await listed(W, W, { maxDirectories: 8 })).toEqual({
      entries: W_ALL,
      truncated: false,
      errors: [],
    });
  });

  test("pruneHiddenDirectories lists hidden directories without reading them, except the root", async () => {
    expect((await listed(W, W, { pruneHiddenDirectories: true })).entries).toEqual(
      W_ALL.filter((e) => !e.includes(".hid/")),
    );
    expect(
      (await listed(join(V, ".hroot"), join(V, ".hroot"), { pruneHiddenDirectories: true })).entries,
    ).toEqual(["d:k", "f:k/m"]);
  });

  test("followed directory links are listed and read once; loops are listed, not entered", async () => {
    expect((await listed(W, W, { followDirectorySymlinks: true })).entries).toEqual([
      ...W_ALL.slice(0, 3),
      "d:dlink",
      ...W_ALL.slice(3),
    ]);
    expect((await listed(V, V, { followDirectorySymlinks: true })).entries).toEqual([
      "d:.hroot", "d:r", "d:rl",
      "d:.hroot/k", "d:r/s", "f:r/u",
      "f:.hroot/k/m", "d:r/s/loop", "f:r/s/t",
    ]); // biome-ignore format: one line per level
    expect((await listed(join(V, "rl"), join(V, "rl"), { followDirectorySymlinks: true })).entries).toEqual([
      "d:s",
      "f:u",
      "d:s/loop",
      "f:s/t",
    ]);
  });

  test("roots: a file or an unfollowed link gives nothing, a missing path is NotFound", async () => {
    expect(await listed(join(W, "top.txt"), W)).toEqual({ entries: [], truncated: false, errors: [] });
    expect(await listed(join(W, "dlink"), W)).toEqual({ entries: [], truncated: false, errors: [] });
    const missing = await walk(join(W, "missing"), options()).catch((e) => e);
    expect([missing.constructor, missing.message]).toEqual([
      NotFound,
      "No such file or directory (os error 2)",
    ]);
  });

  test("limits: zero and over the maximums are refused with the reference's messages", async () => {
    for (const overrides of [{ maxEntries: 0 }, { maxDirectories: 0 }]) {
      const error = await walk(W, options(overrides)).catch((e) => e);
      expect([error.constructor, error.message]).toEqual([
        InvalidRequest,
        "filesystem walk limits must be greater than zero",
      ]);
    }
    for (const overrides of [{ maxDepth: 65 }, { maxDirectories: 10001 }, { maxEntries: 50001 }]) {
      const error = await walk(W, options(overrides)).catch((e) => e);
      expect([error.constructor, error.message]).toEqual([
        InvalidRequest,
        "filesystem walk limits exceed maximums: depth=64, directories=10000, entries=50000",
      ]);
    }
    await walk(W, options({ maxDepth: 64, maxDirectories: 10000, maxEntries: 50000 }));
  });

  test("an unreadable directory is an error entry, the walk goes on", async () => {
    chmodSync(join(W, "noperm"), 0o000);
    try {
      const result = await walkAsUnprivileged(W, options());
      expect(result.errors).toEqual([
        { path: join(W, "noperm"), message: "Permission denied (os error 13)" },
      ]);
      expect(result.entries.length).toBe(W_ALL.length);
    } finally {
      chmodSync(join(W, "noperm"), 0o755);
    }
  });
});

/**
 * walk() as a user that permissions apply to: root reads a mode-000 directory anyway, so as root
 * the walk runs in a child process with the uid and gid of nobody (setpriv, util-linux).
 */
async function walkAsUnprivileged(path: string, walkOptions: WalkOptions) {
  if (process.getuid?.() !== 0) return walk(path, walkOptions);
  chmodSync(dir.path, 0o755);
  const module = JSON.stringify(new URL("../../src/fs/walk.ts", import.meta.url).pathname);
  const script = `const { walk } = await import(${module}); console.log(JSON.stringify(await walk(${JSON.stringify(path)}, ${JSON.stringify(walkOptions)})));`;
  const child = Bun.spawn(
    ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`the unprivileged walk failed (exit ${code}): ${stderr}`);
  return JSON.parse(stdout) as Awaited<ReturnType<typeof walk>>;
}

describe("canonicalize", () => {
  test("lexical first, then links; missing, dangling and not-a-directory fail", async () => {
    expect(await canonicalize(join(W, "flink"))).toBe(join(W, "top.txt"));
    expect(await canonicalize(`${W}/dlink/../top.txt`)).toBe(join(W, "top.txt"));
    expect(await canonicalize(`${W}/a/b/`)).toBe(join(W, "a/b"));
    expect(await canonicalize(join(W, "dlink"))).toBe(join(W, "z"));
    expect(await canonicalize("/")).toBe("/");
    expect(await canonicalize(join(W, "missing")).catch((e) => e)).toBeInstanceOf(NotFound);
    expect(await canonicalize(join(W, "dangle")).catch((e) => e)).toBeInstanceOf(NotFound);
    const notDir = await canonicalize(join(W, "top.txt/x")).catch((e) => e);
    expect([notDir.constructor, notDir.message]).toEqual([InternalError, "Not a directory (os error 20)"]);
  });
});
