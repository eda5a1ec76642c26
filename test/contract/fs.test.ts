// Guards the FileSystem contract (SPEC §6): every row runs against Environment.local() and
// Environment.remote(url), with the same results and the same error classes.
import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { InternalError, InvalidParams, InvalidRequest, NotFound } from "../../src/errors.ts";
import { ENVIRONMENTS } from "../support/environments.ts";
import { tempDir } from "../support/tmp.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => Buffer.from(b).toString();
const mkfifo = (path: string) => execFileSync("mkfifo", [path]);

describe.each(ENVIRONMENTS)("FileSystem (%s)", (_name, makeEnvironment) => {
  test("readFile: files and links; directories, missing paths, FIFOs and relative paths fail", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    writeFileSync(join(dir.path, "a.txt"), "alpha");
    symlinkSync(join(dir.path, "a.txt"), join(dir.path, "link"));
    mkfifo(join(dir.path, "fifo"));
    expect(str(await env.fs.readFile(join(dir.path, "a.txt")))).toBe("alpha");
    expect(str(await env.fs.readFile(join(dir.path, "link")))).toBe("alpha");
    expect(str(await env.fs.readFile(`${dir.path}/nowhere/../a.txt`))).toBe("alpha");
    await expect(env.fs.readFile(dir.path)).rejects.toBeInstanceOf(InternalError);
    await expect(env.fs.readFile(join(dir.path, "missing"))).rejects.toBeInstanceOf(NotFound);
    await expect(env.fs.readFile(join(dir.path, "fifo"))).rejects.toBeInstanceOf(InvalidRequest);
    await expect(env.fs.readFile("a.txt")).rejects.toBeInstanceOf(InvalidParams);
    await expect(env.fs.readFile("")).rejects.toBeInstanceOf(InvalidParams);
  });

  test("writeFile: creates, truncates, refuses a missing parent", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    const file = join(dir.path, "w.txt");
    await env.fs.writeFile(file, bytes("long content"));
    await env.fs.writeFile(file, bytes("short"));
    expect(readFileSync(file, "utf8")).toBe("short");
    const binary = new Uint8Array([0, 255, 1, 128]);
    await env.fs.writeFile(file, binary);
    expect(new Uint8Array(readFileSync(file))).toEqual(binary);
    await expect(env.fs.writeFile(join(dir.path, "no/such/parent.txt"), bytes("x"))).rejects.toBeInstanceOf(
      NotFound,
    );
    await expect(env.fs.writeFile(dir.path, bytes("x"))).rejects.toBeInstanceOf(InternalError);
  });

  test("createDirectory: recursive by default; non-recursive rules", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    await env.fs.createDirectory(join(dir.path, "a/b/c"));
    await env.fs.createDirectory(join(dir.path, "a/b/c"));
    expect(lstatSync(join(dir.path, "a/b/c")).isDirectory()).toBe(true);
    await env.fs.createDirectory(join(dir.path, "single"), { recursive: false });
    await expect(env.fs.createDirectory(join(dir.path, "x/y"), { recursive: false })).rejects.toBeInstanceOf(
      NotFound,
    );
    await expect(
      env.fs.createDirectory(join(dir.path, "single"), { recursive: false }),
    ).rejects.toBeInstanceOf(InternalError);
  });

  test("getMetadata follows links and reports isSymlink; dangling links are not found", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    writeFileSync(join(dir.path, "f"), "x");
    symlinkSync(join(dir.path, "f"), join(dir.path, "l"));
    symlinkSync(join(dir.path, "gone"), join(dir.path, "dangling"));
    expect(await env.fs.getMetadata(join(dir.path, "l"))).toMatchObject({
      isFile: true,
      isDirectory: false,
      isSymlink: true,
    });
    expect(await env.fs.getMetadata(dir.path)).toMatchObject({
      isFile: false,
      isDirectory: true,
      isSymlink: false,
    });
    await expect(env.fs.getMetadata(join(dir.path, "dangling"))).rejects.toBeInstanceOf(NotFound);
  });

  test("readDirectory: entries with types, links followed, dangling links left out", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    writeFileSync(join(dir.path, "file"), "x");
    mkdirSync(join(dir.path, "sub"));
    symlinkSync(join(dir.path, "file"), join(dir.path, "filelink"));
    symlinkSync(join(dir.path, "sub"), join(dir.path, "sublink"));
    symlinkSync(join(dir.path, "gone"), join(dir.path, "dangling"));
    mkfifo(join(dir.path, "fifo"));
    const entries = await env.fs.readDirectory(dir.path);
    expect(entries.sort((a, b) => a.fileName.localeCompare(b.fileName))).toEqual([
      { fileName: "fifo", isDirectory: false, isFile: false },
      { fileName: "file", isDirectory: false, isFile: true },
      { fileName: "filelink", isDirectory: false, isFile: true },
      { fileName: "sub", isDirectory: true, isFile: false },
      { fileName: "sublink", isDirectory: true, isFile: false },
    ]);
    expect(await env.fs.readDirectory(join(dir.path, "sub"))).toEqual([]);
    await expect(env.fs.readDirectory(join(dir.path, "file"))).rejects.toBeInstanceOf(InternalError);
    await expect(env.fs.readDirectory(join(dir.path, "missing"))).rejects.toBeInstanceOf(NotFound);
  });

  test("remove: recursive and force by default; a link goes, never its target", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    mkdirSync(join(dir.path, "tree/deep"), { recursive: true });
    writeFileSync(join(dir.path, "tree/deep/f"), "x");
    await env.fs.remove(join(dir.path, "missing"));
    await expect(env.fs.remove(join(dir.path, "missing"), { force: false })).rejects.toBeInstanceOf(NotFound);
    await expect(env.fs.remove(join(dir.path, "tree"), { recursive: false })).rejects.toBeInstanceOf(
      InternalError,
    );
    await env.fs.remove(join(dir.path, "tree"));
    expect(existsSync(join(dir.path, "tree"))).toBe(false);

    mkdirSync(join(dir.path, "target"));
    writeFileSync(join(dir.path, "target/keep"), "x");
    symlinkSync(join(dir.path, "target"), join(dir.path, "dirlink"));
    await env.fs.remove(join(dir.path, "dirlink"));
    expect(existsSync(join(dir.path, "dirlink"))).toBe(false);
    expect(readFileSync(join(dir.path, "target/keep"), "utf8")).toBe("x");

    mkdirSync(join(dir.path, "holder"));
    symlinkSync(join(dir.path, "target"), join(dir.path, "holder/inner-link"));
    await env.fs.remove(join(dir.path, "holder"));
    expect(readFileSync(join(dir.path, "target/keep"), "utf8")).toBe("x");
  });

  test("copy: files overwrite, trees need recursive, links stay links, special files", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    const p = (name: string) => join(dir.path, name);
    writeFileSync(p("src.txt"), "source");
    writeFileSync(p("dst.txt"), "old destination");
    await env.fs.copy(p("src.txt"), p("dst.txt"), { recursive: false });
    expect(readFileSync(p("dst.txt"), "utf8")).toBe("source");

    mkdirSync(p("tree/sub"), { recursive: true });
    writeFileSync(p("tree/sub/f"), "leaf");
    symlinkSync("sub/f", p("tree/rel-link"));
    mkfifo(p("tree/fifo"));
    await expect(env.fs.copy(p("tree"), p("copy"), { recursive: false })).rejects.toBeInstanceOf(
      InvalidRequest,
    );
    await env.fs.copy(p("tree"), p("copy"), { recursive: true });
    expect(readFileSync(p("copy/sub/f"), "utf8")).toBe("leaf");
    expect(readlinkSync(p("copy/rel-link"))).toBe("sub/f");
    expect(existsSync(p("copy/fifo"))).toBe(false);

    await expect(env.fs.copy(p("tree"), p("tree/inside"), { recursive: true })).rejects.toBeInstanceOf(
      InvalidRequest,
    );
    await expect(env.fs.copy(p("tree/fifo"), p("fifo-copy"), { recursive: false })).rejects.toBeInstanceOf(
      InvalidRequest,
    );
    await expect(env.fs.copy(p("missing"), p("x"), { recursive: false })).rejects.toBeInstanceOf(NotFound);
  });
});
