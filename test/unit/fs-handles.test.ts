// Guards FileHandles: block reads and replace writes with the reference's limits, errors and
// truncation rule, FIFOs and directories refused, every handle closed with the connection.
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InternalError, InvalidRequest, NotFound } from "../../src/errors.ts";
import { FileHandles } from "../../src/fs/handles.ts";
import { tempDir } from "../support/tmp.ts";

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: Error) => error,
  );

test("readBlock: eof exactly when fewer bytes than asked come back", async () => {
  using dir = tempDir();
  const file = join(dir.path, "f.txt");
  writeFileSync(file, "hello world\n");
  symlinkSync(file, join(dir.path, "link"));
  const handles = new FileHandles();
  await handles.open("h1", file);
  await handles.open("", join(dir.path, "link"), "read");
  const read = async (id: string, offset: number, len: number) => {
    const { data, isEof } = await handles.readBlock(id, offset, len);
    return [text(data), isEof];
  };
  expect(await read("h1", 0, 5)).toEqual(["hello", false]);
  expect(await read("h1", 6, 100)).toEqual(["world\n", true]);
  expect(await read("h1", 11, 1)).toEqual(["\n", false]);
  expect(await read("h1", 12, 100)).toEqual(["", true]);
  expect(await read("h1", 1000, 1)).toEqual(["", true]);
  expect(await read("", 0, 1048576)).toEqual(["hello world\n", true]);
  for (const len of [0, 1048577]) {
    const error = await errorOf(handles.readBlock("h1", 0, len));
    expect(error).toBeInstanceOf(InvalidRequest);
    expect(error?.message).toBe("file read block length must be between 1 and 1048576");
  }
  const unknown = await errorOf(handles.readBlock("nope", 0, 1));
  expect(unknown).toBeInstanceOf(NotFound);
  expect(unknown?.message).toBe("unknown file handle `nope`");
  await handles.closeAll();
});

test("open: id length, duplicates, directories, FIFOs, devices, missing paths", async () => {
  using dir = tempDir();
  const file = join(dir.path, "f.txt");
  writeFileSync(file, "x");
  mkdirSync(join(dir.path, "sub"));
  execFileSync("mkfifo", [join(dir.path, "fifo")]);
  const handles = new FileHandles();
  await handles.open("x".repeat(32), file);
  const long = await errorOf(handles.open("x".repeat(33), file));
  expect([long?.constructor, long?.message]).toEqual([
    InvalidRequest,
    "file handle ID must not exceed 32 bytes",
  ]);
  await handles.open("h1", file);
  const duplicate = await errorOf(handles.open("h1", file));
  expect([duplicate?.constructor, duplicate?.message]).toEqual([
    InvalidRequest,
    "file handle `h1` already exists",
  ]);
  for (const [path, mode] of [
    [join(dir.path, "sub"), "read"],
    [join(dir.path, "sub"), "replace"],
    [join(dir.path, "fifo"), "read"],
    [join(dir.path, "fifo"), "replace"],
    ["/dev/null", "read"],
    ["/dev/null", "replace"],
  ] as const) {
    const error = await errorOf(handles.open("h2", path, mode));
    expect([error?.constructor, error?.message]).toEqual([InvalidRequest, `path \`${path}\` is not a file`]);
  }
  expect(await errorOf(handles.open("h2", join(dir.path, "missing")))).toBeInstanceOf(NotFound);
  expect(await errorOf(handles.open("h2", join(dir.path, "no/dir"), "replace"))).toBeInstanceOf(NotFound);
  expect(handles.size).toBe(2);
  await handles.closeAll();
});

test("replace: truncates at open, positional writes fill gaps with zeros, visible before close", async () => {
  using dir = tempDir();
  const file = join(dir.path, "f.txt");
  writeFileSync(file, "old content");
  const handles = new FileHandles();
  await handles.open("r", file);
  await handles.open("w", file, "replace");
  expect(await handles.readBlock("r", 0, 50)).toEqual({ data: new Uint8Array(0), isEof: true });
  await handles.writeBlock("w", 0, Buffer.from("hi"));
  await handles.writeBlock("w", 10, Buffer.from("hi"));
  expect(readFileSync(file)).toEqual(Buffer.from("hi\0\0\0\0\0\0\0\0hi"));
  const readOnWrite = await errorOf(handles.readBlock("w", 0, 1));
  expect([readOnWrite?.constructor, readOnWrite?.message]).toEqual([
    InternalError,
    "Bad file descriptor (os error 9)",
  ]);
  const writeOnRead = await errorOf(handles.writeBlock("r", 0, Buffer.from("x")));
  expect([writeOnRead?.constructor, writeOnRead?.message]).toEqual([
    InternalError,
    "Bad file descriptor (os error 9)",
  ]);
  for (const size of [0, 1048577]) {
    const error = await errorOf(handles.writeBlock("w", 0, new Uint8Array(size)));
    expect([error?.constructor, error?.message]).toEqual([
      InvalidRequest,
      "file write block length must be between 1 and 1048576",
    ]);
  }
  await handles.writeBlock("w", 0, new Uint8Array(1048576));
  await handles.close("w");
  await handles.close("w");
  await handles.close("never-opened");
  expect(await errorOf(handles.writeBlock("w", 0, Buffer.from("x")))).toBeInstanceOf(NotFound);
  await handles.closeAll();
});

test("at most maxOpen handles; closing frees a slot; closeAll closes every one", async () => {
  using dir = tempDir();
  const file = join(dir.path, "f.txt");
  writeFileSync(file, "x");
  const handles = new FileHandles();
  await Promise.all(Array.from({ length: 128 }, (_, i) => handles.open(`h${i}`, file)));
  const over = await errorOf(handles.open("extra", file));
  expect([over?.constructor, over?.message]).toEqual([
    InvalidRequest,
    "at most 128 file handles may be open per connection",
  ]);
  await handles.close("h5");
  await handles.open("extra", file);
  await handles.closeAll();
  expect(handles.size).toBe(0);
  expect(await errorOf(handles.readBlock("extra", 0, 1))).toBeInstanceOf(NotFound);
  const descriptors = execFileSync("ls", [`/proc/${process.pid}/fd`])
    .toString()
    .split("\n");
  const open = descriptors.filter((fd) => {
    try {
      return require("node:fs").readlinkSync(`/proc/${process.pid}/fd/${fd}`) === file;
    } catch {
      return false;
    }
  });
  expect(open).toEqual([]);
});
