// Guards the fs/* wire details a contract test cannot see: exact codes and messages, defaults of
// omitted and null flags, and the copy rules found by experiment against the reference.
import { afterAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { FIFO_READER_POLL_MS } from "../../src/fs/local.ts";
import { TestClient } from "../support/client.ts";
import { startCli, startTestServer } from "../support/harness.ts";
import { tempDir } from "../support/tmp.ts";
import { waitFor } from "../support/wait.ts";

/** Whether a process is `cat` (exec'd) and asleep: blocked in a FIFO's open, no writer there yet. */
function isBlockedCat(pid: number): boolean {
  try {
    const isCat = readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("cat\0");
    // The state follows the command's name, which is in parentheses.
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    return isCat && state === "S";
  } catch {
    return false;
  }
}

const server = startTestServer();
afterAll(() => server.stop());

test("writeFile: invalid base64 is -32600 and touches nothing; empty data makes an empty file", async () => {
  using dir = tempDir();
  await using client = await server.session();
  const path = join(dir.path, "f");
  for (const data of ["abc", "YR==", "-_-_"]) {
    expect((await client.request("fs/writeFile", { path, dataBase64: data })).error).toMatchObject({
      code: -32600,
      message: "fs/writeFile requires valid base64 dataBase64",
    });
  }
  expect(await Bun.file(path).exists()).toBe(false);
  expect(await client.call("fs/writeFile", { path, dataBase64: "" })).toEqual({});
  expect(readFileSync(path, "utf8")).toBe("");
  expect((await client.request("fs/writeFile", { path })).error?.code).toBe(-32602);
});

test("writeFile writes a file that cannot seek (/proc/PID/comm), small or past the pool's size", async () => {
  // The server's own name: a process may rename only itself.
  await using cli = await startCli();
  await using client = await TestClient.session(cli.url);
  const comm = `/proc/${cli.process.pid}/comm`;
  // The kernel keeps the first 15 bytes of a name; a large write goes through the thread pool.
  for (const data of ["renamed", `large-${"x".repeat(2 * 1024 * 1024)}`]) {
    const dataBase64 = Buffer.from(data).toString("base64");
    expect(await client.call("fs/writeFile", { path: comm, dataBase64 })).toEqual({});
    expect(readFileSync(comm, "utf8")).toBe(`${data.slice(0, 15)}\n`);
  }
  // A file that refuses writes says so as the OS words it.
  const refused = await client.request("fs/writeFile", {
    path: `/proc/${cli.process.pid}/status`,
    dataBase64: "eA==",
  });
  expect(refused.error).toMatchObject({ code: -32600, message: "Invalid argument (os error 22)" });
});

test("null flags mean their defaults; copy's recursive is required", async () => {
  using dir = tempDir();
  mkdirSync(join(dir.path, "full/sub"), { recursive: true });
  await using client = await server.session();
  const p = (name: string) => join(dir.path, name);
  expect(await client.call("fs/createDirectory", { path: p("a/b"), recursive: null })).toEqual({});
  expect(await client.call("fs/remove", { path: p("full"), recursive: null, force: null })).toEqual({});
  expect(
    (await client.request("fs/copy", { sourcePath: p("a"), destinationPath: p("c") })).error,
  ).toMatchObject({
    code: -32602,
  });
  expect(
    (await client.request("fs/createDirectory", { path: p("a"), recursive: false })).error,
  ).toMatchObject({
    code: -32603,
    message: "File exists (os error 17)",
  });
  expect((await client.request("fs/remove", { path: p("a"), recursive: false })).error).toMatchObject({
    code: -32603,
    message: "Directory not empty (os error 39)",
  });
});

test("copy: the reference's messages, descendants through links, sibling prefixes, merges", async () => {
  using dir = tempDir();
  const p = (name: string) => join(dir.path, name);
  mkdirSync(p("src/sub"), { recursive: true });
  writeFileSync(p("src/a"), "A");
  mkdirSync(p("dst"));
  writeFileSync(p("dst/pre"), "kept");
  symlinkSync(p("src"), p("lsrc"));
  await using client = await server.session();
  const copy = (sourcePath: string, destinationPath: string, recursive = true) =>
    client.request("fs/copy", { sourcePath, destinationPath, recursive });
  expect((await copy(p("src"), p("x"), false)).error).toMatchObject({
    code: -32600,
    message: "fs/copy requires recursive: true when sourcePath is a directory",
  });
  const intoItself = {
    code: -32600,
    message: "fs/copy cannot copy a directory to itself or one of its descendants",
  };
  expect((await copy(p("src"), p("src"))).error).toMatchObject(intoItself);
  expect((await copy(p("src"), p("src/sub/deeper/x"))).error).toMatchObject(intoItself);
  expect((await copy(p("src"), p("lsrc/inner"))).error).toMatchObject(intoItself);
  expect((await copy(p("src"), p("src2"))).result).toEqual({});
  expect((await copy(p("src"), p("dst"))).result).toEqual({});
  expect([readFileSync(p("dst/pre"), "utf8"), readFileSync(p("dst/a"), "utf8")]).toEqual(["kept", "A"]);
  expect((await copy("/dev/null", p("null"), false)).error).toMatchObject({
    code: -32600,
    message: "fs/copy only supports regular files, directories, and symlinks",
  });
  expect((await copy(p("src/a"), p("dst"), false)).error).toMatchObject({
    code: -32603,
    message: "Is a directory (os error 21)",
  });
  expect((await copy(p("lsrc"), p("src/a"), false)).error).toMatchObject({
    code: -32603,
    message: "File exists (os error 17)",
  });
});

test("copy refuses a file onto itself instead of truncating it [deliberate difference]", async () => {
  using dir = tempDir();
  const file = join(dir.path, "f");
  writeFileSync(file, "precious");
  symlinkSync(file, join(dir.path, "link"));
  await using client = await server.session();
  for (const destinationPath of [file, join(dir.path, "link")]) {
    const response = await client.request("fs/copy", { sourcePath: file, destinationPath, recursive: false });
    expect(response.error?.code).toBe(-32600);
  }
  expect(readFileSync(file, "utf8")).toBe("precious");
});

test("getMetadata: times before 1970 read as 0; trailing slashes are dropped lexically", async () => {
  using dir = tempDir();
  const file = join(dir.path, "old");
  writeFileSync(file, "x");
  execFileSync("touch", ["-d", "1960-01-01T00:00:00Z", file]);
  await using client = await server.session();
  expect(await client.call("fs/getMetadata", { path: `${file}/` })).toMatchObject({
    isFile: true,
    modifiedAtMs: 0,
  });
});

test("writeFile to a FIFO no one reads waits for a reader, and the server answers others meanwhile", async () => {
  using dir = tempDir();
  const fifo = join(dir.path, "fifo");
  execFileSync("mkfifo", [fifo]);
  await using writer = await server.session();
  await using other = await server.session();
  const writing = writer.request("fs/writeFile", { path: fifo, dataBase64: "aGVsbG8K" });
  // Sent after it, answered before it: the writer's wait holds no one else.
  expect(await other.call("fs/getMetadata", { path: dir.path })).toMatchObject({ isDirectory: true });
  expect(await writer.call("fs/getMetadata", { path: dir.path })).toMatchObject({ isDirectory: true });
  const reader = Bun.spawn(["cat", fifo], { stdout: "pipe" });
  expect(await new Response(reader.stdout).text()).toBe("hello\n");
  expect((await writing).result).toEqual({});
  // Reading one is refused at once, as any special file is.
  expect((await other.request("fs/readFile", { path: fifo })).error).toMatchObject({ code: -32600 });
}, 10_000);

test.each([
  ["writes", "fs/writeFile", (fifo: string) => ({ path: fifo, dataBase64: "aGVsbG8K" })],
  [
    "copies",
    "fs/copy",
    (fifo: string, source: string) => ({ sourcePath: source, destinationPath: fifo, recursive: false }),
  ],
] as const)(
  "%s onto a FIFO no one reads hold none of the threads other clients' file calls need",
  async (_, method, params) => {
    using dir = tempDir();
    const fifo = join(dir.path, "fifo");
    execFileSync("mkfifo", [fifo]);
    const source = join(dir.path, "source");
    writeFileSync(source, "hello\n");
    // Over the synchronous size: its read goes through the thread pool, as the writes once did.
    const big = join(dir.path, "big");
    writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 3));
    await using writer = await server.session();
    await using other = await server.session();
    // More waiting calls than the pool has threads (two held them all, on two cores).
    const calls = Array.from({ length: 16 }, () => writer.request(method, params(fifo, source)));
    // Answered after them, on the same connection: each of them has been taken up by then.
    await writer.call("fs/getMetadata", { path: dir.path });
    const read = (await other.call("fs/readFile", { path: big })) as { dataBase64: string };
    expect(Buffer.from(read.dataBase64, "base64").length).toBe(2 * 1024 * 1024);
    // Each goes through once a reader comes (in turn: calls on one path keep their order). The
    // reader holds the FIFO open for writing too, so it never reads an end of file between two
    // writers (a writer opening just as a leaving reader closed would lose its line).
    const reader = Bun.spawn(["sh", "-c", `exec cat 0<> ${fifo}`], { stdout: "pipe" });
    let taken = "";
    try {
      for await (const chunk of reader.stdout) {
        taken += Buffer.from(chunk).toString();
        if (taken.length >= 16 * 6) break;
      }
    } finally {
      reader.kill();
      await reader.exited;
    }
    expect(taken).toBe("hello\n".repeat(16));
    for (const answer of await Promise.all(calls)) expect(answer.result).toEqual({});
  },
  20_000,
);

test("a reader already waiting on a FIFO gets what writeFile writes", async () => {
  using dir = tempDir();
  const fifo = join(dir.path, "fifo");
  execFileSync("mkfifo", [fifo]);
  await using client = await server.session();
  for (let i = 0; i < 5; i++) {
    const reader = Bun.spawn(["cat", fifo], { stdout: "pipe" });
    const text = new Response(reader.stdout).text();
    await waitFor(() => isBlockedCat(reader.pid), { label: "cat blocked in its open" });
    const answer = await client.request("fs/writeFile", { path: fifo, dataBase64: "aGVsbG8K" });
    expect(answer.result).toEqual({});
    expect(await text).toBe("hello\n");
  }
}, 10_000);

test("writeFile's errors on a device, a socket and a FIFO whose reader leaves are answered", async () => {
  using dir = tempDir();
  await using client = await server.session();
  // A full device, small and over the synchronous size.
  for (const length of [5, 2 * 1024 * 1024]) {
    const dataBase64 = Buffer.alloc(length, 1).toString("base64");
    expect((await client.request("fs/writeFile", { path: "/dev/full", dataBase64 })).error).toMatchObject({
      code: -32603,
      message: "No space left on device (os error 28)",
    });
  }
  // A socket refuses the open (ENXIO, as a FIFO with no reader does): answered, not waited on.
  const socketPath = join(dir.path, "socket");
  const listener = Bun.listen({ unix: socketPath, socket: { data() {} } });
  try {
    expect(
      (await client.request("fs/writeFile", { path: socketPath, dataBase64: "aGVsbG8K" })).error,
    ).toMatchObject({ code: -32603, message: "No such device or address (os error 6)" });
  } finally {
    listener.stop(true);
  }
  // A reader that takes a little and goes: the rest cannot be written.
  const fifo = join(dir.path, "fifo");
  execFileSync("mkfifo", [fifo]);
  const reader = Bun.spawn(["head", "-c", "1000", fifo], { stdout: "ignore" });
  const dataBase64 = Buffer.alloc(4 * 1024 * 1024, 1).toString("base64");
  const answer = await client.request("fs/writeFile", { path: fifo, dataBase64 });
  await reader.exited;
  expect(answer.error).toMatchObject({ code: -32603, message: "Broken pipe (os error 32)" });
}, 10_000);

test("a write waiting for a FIFO's reader gives up when its connection closes", async () => {
  using dir = tempDir();
  const fifo = join(dir.path, "fifo");
  execFileSync("mkfifo", [fifo]);
  const writer = await server.session();
  void writer.request("fs/writeFile", { path: fifo, dataBase64: "aGVsbG8K" }).catch(() => {});
  // Answered after it, on the same connection: the write is waiting by then.
  await writer.call("fs/getMetadata", { path: dir.path });
  await writer.close();
  await waitFor(() => server.sessions.get(writer.sessionId)?.attachment?.isDetached, {
    label: "the server to see the connection go",
  });
  // A poll under way as the connection went may still open the FIFO: let it pass first.
  await Bun.sleep(2 * FIFO_READER_POLL_MS);
  // A reader now: a write still waiting would open the FIFO and send its line within a poll.
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    // Nothing is to come: the wait is a few polls long, for a write that must not happen.
    await Bun.sleep(6 * FIFO_READER_POLL_MS);
    const buffer = Buffer.alloc(64);
    let got = 0;
    try {
      got = readSync(fd, buffer, 0, 64, null);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe("EAGAIN");
    }
    expect(got).toBe(0);
  } finally {
    closeSync(fd);
  }
}, 10_000);

test("fs calls on one path, sent without waiting, take effect in the order they came", async () => {
  using dir = tempDir();
  await using client = await server.session();
  const path = join(dir.path, "f");
  const big = Buffer.alloc(3 * 1024 * 1024, 65);
  // A large write goes through the thread pool, a small one at once: the small one, sent later,
  // must still be the file's content, and the reads sent after each see it.
  const calls = [
    client.request("fs/writeFile", { path, dataBase64: big.toString("base64") }),
    client.request("fs/readFile", { path }),
    client.request("fs/writeFile", { path, dataBase64: Buffer.from("SMALL").toString("base64") }),
    client.request("fs/readFile", { path }),
    client.request("fs/copy", { sourcePath: path, destinationPath: join(dir.path, "g"), recursive: false }),
    client.request("fs/readFile", { path: join(dir.path, "g") }),
  ];
  const [, firstRead, , secondRead, , copyRead] = await Promise.all(calls);
  const bytesOf = (response: { result?: unknown } | undefined) =>
    Buffer.from((response?.result as { dataBase64?: string } | undefined)?.dataBase64 ?? "", "base64");
  expect(bytesOf(firstRead).equals(big)).toBe(true);
  expect(bytesOf(secondRead).toString()).toBe("SMALL");
  expect(bytesOf(copyRead).toString()).toBe("SMALL");
  expect(readFileSync(path, "utf8")).toBe("SMALL");
});

test("copy keeps the bytes of names that are not UTF-8, files, directories and links alike", async () => {
  using dir = tempDir();
  await using client = await server.session();
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : Buffer.from(part))));
  const source = join(dir.path, "src");
  mkdirSync(source);
  writeFileSync(bytes(source, "/bad", [0xff]), "bad\n");
  mkdirSync(bytes(source, "/sub", [0xfe]));
  writeFileSync(bytes(source, "/sub", [0xfe], "/inner"), "inner\n");
  symlinkSync(bytes("bad", [0xff]), bytes(source, "/link"));
  const destination = join(dir.path, "dst");
  expect(
    await client.call("fs/copy", { sourcePath: source, destinationPath: destination, recursive: true }),
  ).toEqual({});
  const names = (path: string) =>
    readdirSync(path, { encoding: "buffer" })
      .map((name) => name.toString("hex"))
      .sort();
  expect(names(destination)).toEqual(names(source));
  expect(readFileSync(bytes(destination, "/bad", [0xff]), "utf8")).toBe("bad\n");
  expect(readFileSync(bytes(destination, "/sub", [0xfe], "/inner"), "utf8")).toBe("inner\n");
  expect(readlinkSync(bytes(destination, "/link"), { encoding: "buffer" }).equals(bytes("bad", [0xff]))).toBe(
    true,
  );
});

test("while a write waits for a FIFO's reader, the same connection lists, reads and removes the FIFO", async () => {
  using dir = tempDir();
  const fifo = join(dir.path, "fifo");
  execFileSync("mkfifo", [fifo]);
  await using client = await server.session();
  const writing = client.request("fs/writeFile", { path: fifo, dataBase64: "aGVsbG8K" });
  const listing = (await client.call("fs/readDirectory", { path: dir.path })) as {
    entries: { fileName: string }[];
  };
  expect(listing.entries.map((entry) => entry.fileName)).toEqual(["fifo"]);
  expect(await client.call("fs/getMetadata", { path: fifo })).toMatchObject({ isFile: false });
  expect(await client.call("fs/remove", { path: fifo })).toEqual({});
  // The FIFO gone, the write's next try makes the file it was asked for (it opens by path).
  expect((await writing).result).toEqual({});
  expect(readFileSync(fifo, "utf8")).toBe("hello\n");
}, 10_000);
