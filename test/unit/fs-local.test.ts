// Holds LocalFileSystem's fast paths to the obvious code: readFileBase64 (a small file read into
// one reused buffer and encoded at once) must answer what readFile's bytes encode to, and
// writeFileBase64 (decoded into that buffer and written at once) write what writeFile of the
// decoded bytes would, with the same errors, whatever was read or written before.
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "../../src/errors.ts";
import { LocalFileSystem, SYNC_IO_BYTES } from "../../src/fs/local.ts";
import { tempDir } from "../support/tmp.ts";

const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** What readFileBase64 gave, or the error it threw or rejected with; and whether it answered at once. */
async function base64Of(fs: LocalFileSystem, path: string, options?: { maxBytes?: number | null }) {
  try {
    const answer = fs.readFileBase64(path, options);
    return { isImmediate: typeof answer === "string", value: await answer };
  } catch (error) {
    return { isImmediate: true, error: error as AppError };
  }
}

/** What the obvious code gives: readFile's bytes as base64, or its error. */
async function expected(fs: LocalFileSystem, path: string, options?: { maxBytes?: number | null }) {
  try {
    return { value: Buffer.from(await fs.readFile(path, options)).toString("base64") };
  } catch (error) {
    return { error: error as AppError };
  }
}

const sameError = (a: AppError | undefined, b: AppError | undefined) => {
  expect(a).toBeInstanceOf(AppError);
  expect([a?.constructor, a?.code, a?.message]).toEqual([b?.constructor, b?.code, b?.message]);
};

test.each([0, 1, 2, 3, 4096, SYNC_IO_BYTES - 1, SYNC_IO_BYTES, SYNC_IO_BYTES + 1, 2 * SYNC_IO_BYTES])(
  "a %i-byte file: readFile's bytes as base64, answered at once up to SYNC_IO_BYTES",
  async (n) => {
    using dir = tempDir();
    const fs = new LocalFileSystem();
    const file = join(dir.path, "f");
    writeFileSync(file, bytes(n, n));
    const answer = await base64Of(fs, file);
    expect(answer.value).toBe((await expected(fs, file)).value as string);
    expect(answer.isImmediate).toBe(n <= SYNC_IO_BYTES);
  },
);

test("the reused buffer: a short file after a long one is only itself", async () => {
  using dir = tempDir();
  const fs = new LocalFileSystem();
  const sizes = [SYNC_IO_BYTES, 3, SYNC_IO_BYTES - 7, 0, 5000, 1];
  for (const [i, n] of sizes.entries()) {
    const file = join(dir.path, `f${i}`);
    writeFileSync(file, bytes(n, i + 1));
    expect((await base64Of(fs, file)).value).toBe(Buffer.from(bytes(n, i + 1)).toString("base64"));
  }
});

test.each([null, undefined, 0, 1, 4095, 4096, 4097, SYNC_IO_BYTES + 5])(
  "maxBytes %p: readFile's prefix as base64",
  async (maxBytes) => {
    using dir = tempDir();
    const fs = new LocalFileSystem();
    const file = join(dir.path, "f");
    writeFileSync(file, bytes(4096, 9));
    expect((await base64Of(fs, file, { maxBytes })).value).toBe(
      (await expected(fs, file, { maxBytes })).value as string,
    );
  },
);

test("errors are readFile's: missing, a directory, a FIFO, over the size limit", async () => {
  using dir = tempDir();
  const fs = new LocalFileSystem({ maxReadFileBytes: 10 });
  const fifo = join(dir.path, "fifo");
  execFileSync("mkfifo", [fifo]);
  mkdirSync(join(dir.path, "d"));
  writeFileSync(join(dir.path, "eleven"), "01234567890");
  writeFileSync(join(dir.path, "ten"), "0123456789");
  for (const name of ["missing", "d", "fifo", "eleven", "missing/below"]) {
    const path = join(dir.path, name);
    const answer = await base64Of(fs, path);
    sameError(answer.error, (await expected(fs, path)).error);
  }
  // Under the limit, and a prefix under it of a file over it.
  expect((await base64Of(fs, join(dir.path, "ten"))).value).toBe(
    Buffer.from("0123456789").toString("base64"),
  );
  expect((await base64Of(fs, join(dir.path, "eleven"), { maxBytes: 4 })).value).toBe(
    Buffer.from("0123").toString("base64"),
  );
});

/** What writeFileBase64 answered, or the error it threw or rejected with. */
async function writeOf(fs: LocalFileSystem, path: string, text: string) {
  try {
    const answer = fs.writeFileBase64(path, text);
    return { isImmediate: typeof answer === "boolean", value: await answer };
  } catch (error) {
    return { isImmediate: true, error: error as AppError };
  }
}

test.each([0, 1, 2, 3, 4096, SYNC_IO_BYTES - 1, SYNC_IO_BYTES, SYNC_IO_BYTES + 1, 2 * SYNC_IO_BYTES])(
  "writing %i bytes as base64: the file writeFile makes, at once up to SYNC_IO_BYTES",
  async (n) => {
    using dir = tempDir();
    const fs = new LocalFileSystem();
    const data = bytes(n, n + 3);
    const file = join(dir.path, "f");
    writeFileSync(file, bytes(SYNC_IO_BYTES + 9, 1));
    const answer = await writeOf(fs, file, Buffer.from(data).toString("base64"));
    expect(answer).toEqual({ isImmediate: n <= SYNC_IO_BYTES, value: true });
    await fs.writeFile(join(dir.path, "expected"), data);
    expect(readFileSync(file).equals(readFileSync(join(dir.path, "expected")))).toBe(true);
  },
);

test("writes and reads through the reused buffer, in turn: each only itself", async () => {
  using dir = tempDir();
  const fs = new LocalFileSystem();
  for (const [i, n] of [SYNC_IO_BYTES, 5, SYNC_IO_BYTES - 1, 0, 7000].entries()) {
    const file = join(dir.path, `f${i}`);
    const text = Buffer.from(bytes(n, i)).toString("base64");
    expect((await writeOf(fs, file, text)).value).toBe(true);
    expect((await base64Of(fs, file)).value).toBe(text);
    expect(readFileSync(file).equals(Buffer.from(bytes(n, i)))).toBe(true);
  }
});

test.each(["YQ", "YR==", "YW Jj", "YWJ\u00e9", "====", `${"A".repeat(1398100)}=`])(
  "not strict base64 (%#): false, and no file made",
  async (text) => {
    using dir = tempDir();
    const fs = new LocalFileSystem();
    const file = join(dir.path, "f");
    expect(await writeOf(fs, file, text)).toEqual({ isImmediate: true, value: false });
    expect(existsSync(file)).toBe(false);
  },
);

test("write errors are writeFile's: no parent, a directory", async () => {
  using dir = tempDir();
  const fs = new LocalFileSystem();
  mkdirSync(join(dir.path, "d"));
  for (const name of ["missing/f", "d"]) {
    for (const n of [3, SYNC_IO_BYTES + 1]) {
      const path = join(dir.path, name);
      const answer = await writeOf(fs, path, Buffer.from(bytes(n)).toString("base64"));
      const expectedError = await fs.writeFile(path, bytes(n)).then(
        () => undefined,
        (error: AppError) => error,
      );
      sameError(answer.error, expectedError);
    }
  }
});

/**
 * A FIFO no one reads: opening it to write waits for a reader, so the write must not happen on
 * the server's thread (a timer still fires while it waits), and what a reader then takes is the
 * data, whole. Both the obvious path and the base64 one, small and large.
 */
test.each([
  ["writeFile", 3],
  ["writeFile", SYNC_IO_BYTES + 1],
  ["writeFileBase64", 3],
  ["writeFileBase64", 70_000],
] as const)(
  "%s of %i bytes to a FIFO waits for a reader off the server's thread",
  async (method, n) => {
    using dir = tempDir();
    const fs = new LocalFileSystem();
    const fifo = join(dir.path, "fifo");
    execFileSync("mkfifo", [fifo]);
    const data = bytes(n, 7);
    const writing =
      method === "writeFile"
        ? fs.writeFile(fifo, data)
        : fs.writeFileBase64(fifo, Buffer.from(data).toString("base64"));
    // Returning at all means the thread was not held; the timer shows the loop still turns.
    expect(writing).toBeInstanceOf(Promise);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Another call meanwhile reuses the shared buffer: the FIFO must still get its own bytes.
    const other = join(dir.path, "other");
    expect(await fs.writeFileBase64(other, Buffer.from(bytes(n, 99)).toString("base64"))).toBe(true);
    const reader = Bun.spawn(["cat", fifo], { stdout: "pipe" });
    const [read] = await Promise.all([new Response(reader.stdout).arrayBuffer(), writing]);
    expect(Buffer.from(read).equals(Buffer.from(data))).toBe(true);
    expect(readFileSync(other).equals(Buffer.from(bytes(n, 99)))).toBe(true);
  },
  10_000,
);

test("a write over a longer file leaves exactly what was written, both ways", async () => {
  using dir = tempDir();
  const fs = new LocalFileSystem();
  const path = join(dir.path, "f");
  for (const [before, after] of [
    [5000, 3],
    [SYNC_IO_BYTES, 0],
    [3, 5000],
  ]) {
    writeFileSync(path, bytes(before as number, 1));
    await fs.writeFile(path, bytes(after as number, 2));
    expect(readFileSync(path).equals(Buffer.from(bytes(after as number, 2)))).toBe(true);
    writeFileSync(path, bytes(before as number, 1));
    expect(await fs.writeFileBase64(path, Buffer.from(bytes(after as number, 3)).toString("base64"))).toBe(
      true,
    );
    expect(readFileSync(path).equals(Buffer.from(bytes(after as number, 3)))).toBe(true);
  }
});
