// Guards SPEC §5: process/start|read|write|terminate, notifications, seqs, retention, PTY, env.
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { MAX_CHUNK_BYTES, MAX_READ_BYTES } from "../../src/process/child.ts";
import { startTestServer } from "../support/harness.ts";
import { type ReadResult, read, readAll, run, sh, startFamily, startParams } from "../support/process.ts";
import { isAlive, waitFor } from "../support/wait.ts";

const server = startTestServer({ retainedOutputBytes: 64 * 1024 * 1024 });
afterAll(() => server.stop());

describe("output and notifications", () => {
  test("stdout and stderr are separate, seqs count output, exit and close", async () => {
    await using client = await server.session();
    const result = await run(client, sh("echo out; echo err >&2; exit 3"));
    expect(result.stdout).toBe("out\n");
    expect(result.stderr).toBe("err\n");
    expect(result.exitCode).toBe(3);
    const seqs = result.events.map((e) => e.params?.seq);
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(result.events.at(-1)?.method).toBe("process/closed");
    expect(result.events.filter((e) => e.method === "process/exited")).toHaveLength(1);
  });

  test("process/read returns the same history", async () => {
    await using client = await server.session();
    const { processId } = await run(client, sh("printf a; sleep 0.05; printf b >&2; exit 7"));
    const result = await read(client, { processId, afterSeq: 0 });
    expect(result).toEqual({
      chunks: [
        { seq: 1, stream: "stdout", chunk: Buffer.from("a").toString("base64") },
        { seq: 2, stream: "stderr", chunk: Buffer.from("b").toString("base64") },
      ],
      nextSeq: 3,
      exited: true,
      exitCode: 7,
      closed: true,
      failure: null,
      sandboxDenied: false,
    });
    const after = await read(client, { processId, afterSeq: 2 });
    expect(after).toMatchObject({ chunks: [], nextSeq: 5, exited: true, closed: true });
  });

  test("5 MB of random bytes arrive byte-exact, in notifications and through process/read", async () => {
    await using client = await server.session();
    const script = "f=$(mktemp); head -c 5000000 /dev/urandom > $f; cat $f; sha256sum < $f >&2; rm $f";
    const result = await run(client, sh(script));
    const fromNotifications = client.outputOf(result.processId, "stdout");
    expect(fromNotifications.length).toBe(5_000_000);
    // Chunks are at most 32 KiB (the reference's at most 8 KiB), and a flood fills them.
    const sizes = client
      .eventsOf(result.processId)
      .map((n) => Buffer.from(String(n.params?.chunk ?? ""), "base64").length);
    expect(Math.max(...sizes)).toBe(MAX_CHUNK_BYTES);
    expect(result.stderr.split(" ")[0]).toBe(sha256(fromNotifications));
    const fromRead = await readAll(client, result.processId, 0, 256 * 1024);
    const stdout = fromRead.chunks
      .filter((c) => c.stream === "stdout")
      .map((c) => Buffer.from(c.chunk, "base64"));
    expect(sha256(Buffer.concat(stdout))).toBe(sha256(fromNotifications));
  });

  test("bytes that are not UTF-8 survive", async () => {
    await using client = await server.session();
    const result = await run(client, sh("printf '\\000\\377\\001\\200end'"));
    expect(client.outputOf(result.processId)).toEqual(Buffer.from([0, 255, 1, 128, ...Buffer.from("end")]));
  });
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("process/read", () => {
  test("maxBytes never splits a chunk and always returns at least one", async () => {
    await using client = await server.session();
    const params = sh("printf aaaa; sleep 0.05; printf bbbb; sleep 0.05; printf cccc");
    await run(client, params);
    const first = await read(client, { processId: params.processId, afterSeq: 0, maxBytes: 1 });
    expect(first.chunks.map((c) => Buffer.from(c.chunk, "base64").toString())).toEqual(["aaaa"]);
    expect(first.nextSeq).toBe(2);
    const two = await read(client, { processId: params.processId, afterSeq: 0, maxBytes: 8 });
    expect(two.chunks.map((c) => c.seq)).toEqual([1, 2]);
    expect(two.nextSeq).toBe(3);
  });

  test("a long poll wakes on output and on exit", async () => {
    await using client = await server.session();
    const params = sh("read line; echo got; read line; exit 5", { pipeStdin: true });
    await client.call("process/start", params);
    const { processId } = params;
    const empty = await read(client, { processId, afterSeq: 0, waitMs: 0 });
    expect(empty).toMatchObject({ chunks: [], nextSeq: 1, exited: false, closed: false });
    const onOutput = read(client, { processId, afterSeq: 0, waitMs: 10_000 });
    await client.call("process/write", { processId, chunk: Buffer.from("1\n").toString("base64") });
    const woke = await onOutput;
    expect(woke.chunks.map((c) => Buffer.from(c.chunk, "base64").toString())).toEqual(["got\n"]);
    const onExit = read(client, { processId, afterSeq: 1, waitMs: 10_000 });
    await client.call("process/write", { processId, chunk: Buffer.from("2\n").toString("base64") });
    expect(await onExit).toMatchObject({ exited: true, exitCode: 5 });
  });

  test("a long poll returns after waitMs with nothing new", async () => {
    await using client = await server.session();
    const params = sh("sleep 5");
    await client.call("process/start", params);
    const result = await read(client, { processId: params.processId, afterSeq: 0, waitMs: 50 });
    expect(result).toEqual({
      chunks: [],
      nextSeq: 1,
      exited: false,
      exitCode: null,
      closed: false,
      failure: null,
      sandboxDenied: false,
    });
    await client.call("process/terminate", { processId: params.processId });
  });

  test("a pending long poll does not delay another request on the same connection", async () => {
    await using client = await server.session();
    const params = sh("sleep 5");
    await client.call("process/start", params);
    let pollDone = false;
    const poll = read(client, { processId: params.processId, afterSeq: 0, waitMs: 3000 }).then((r) => {
      pollDone = true;
      return r;
    });
    const meta = await client.call("fs/getMetadata", { path: "/tmp" });
    expect(meta).toMatchObject({ isDirectory: true });
    expect(pollDone).toBe(false);
    await client.call("process/terminate", { processId: params.processId });
    expect((await poll).exited).toBe(true);
  });

  test("unknown process id", async () => {
    await using client = await server.session();
    expect((await client.request("process/read", { processId: "ghost" })).error).toMatchObject({
      code: -32600,
      message: "unknown process id ghost",
    });
  });
});

describe("retention", () => {
  test("the oldest whole chunks are evicted past the budget", async () => {
    // This client never reads until the end: its output, notified, counts as read at once
    // (patience 0), and a second budget keeps what was notified but never acknowledged.
    await using small = startTestServer({ retainedOutputBytes: 1000, readPatienceMs: 0 });
    await using client = await small.session();
    const params = sh("for i in 1 2 3 4 5 6 7 8; do head -c 300 /dev/zero | tr '\\0' $i; sleep 0.02; done");
    await run(client, params);
    const result = await read(client, { processId: params.processId, afterSeq: 0 });
    const bytes = result.chunks.reduce((n, c) => n + Buffer.from(c.chunk, "base64").length, 0);
    expect(bytes).toBeLessThanOrEqual(2000);
    expect(bytes % 300).toBe(0);
    const text = Buffer.concat(result.chunks.map((c) => Buffer.from(c.chunk, "base64"))).toString();
    expect(text.endsWith("8".repeat(300))).toBe(true);
    expect(text.includes("1")).toBe(false);
    // Seqs stay what they were: the first retained chunk is not seq 1.
    expect(result.chunks[0]?.seq).toBeGreaterThan(1);
  });

  test("a client that reads with process/read gets every byte of an output far beyond retention", async () => {
    // Like a Codex client: it reads (here in small pieces) instead of using the notifications.
    // The program is held back while the unread output would overflow the 1 MiB retention.
    await using paced = startTestServer();
    await using reader = await paced.session();
    const params = startParams(["seq", "1", "700000"]);
    await reader.call("process/start", params);
    const parts: Buffer[] = [];
    let skipped = 0;
    for (let after = 0; ; ) {
      const result = await read(reader, {
        processId: params.processId,
        afterSeq: after,
        maxBytes: 65536,
        waitMs: 1000,
      });
      // Chunks follow each other, but for the one seq the exit takes (output may follow it).
      const first = result.chunks[0]?.seq ?? after + 1;
      if (first === after + 2 && result.exited) skipped++;
      else expect(first).toBe(after + 1);
      parts.push(...result.chunks.map((c) => Buffer.from(c.chunk, "base64")));
      if (result.closed && result.chunks.length === 0) break;
      after = result.nextSeq - 1;
    }
    const expected = `${Array.from({ length: 700000 }, (_, i) => i + 1).join("\n")}\n`;
    expect(Buffer.concat(parts).toString() === expected).toBe(true);
    expect(skipped).toBeLessThanOrEqual(1);
  });

  test("a read without maxBytes returns at most 1 MiB, and looks final only when it is", async () => {
    // Codex reads with maxBytes null and drops the middle of any read over 1 MiB.
    await using client = await server.session();
    const params = startParams(["head", "-c", "3000000", "/dev/zero"]);
    await run(client, params);
    const exitSeq = client.eventsOf(params.processId).find((e) => e.method === "process/exited")?.params
      ?.seq as number;
    const reads: ReadResult[] = [];
    for (let after = 0; reads.at(-1)?.closed !== true; ) {
      const result = await read(client, { processId: params.processId, afterSeq: after, maxBytes: null });
      reads.push(result);
      after = result.nextSeq - 1;
    }
    const sizes = reads.map((r) => r.chunks.reduce((n, c) => n + Buffer.from(c.chunk, "base64").length, 0));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3_000_000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_READ_BYTES);
    expect(reads.length).toBeGreaterThanOrEqual(3);
    // Until the last read, the process is not closed to the reader; its exit shows once read past.
    for (const result of reads.slice(0, -1)) {
      expect(result.closed).toBe(false);
      expect(result.exited).toBe(result.nextSeq > exitSeq);
    }
    expect(reads.at(-1)).toMatchObject({ exited: true, exitCode: 0, closed: true });
    // A reader that pages with maxBytes sees the process as it is.
    const paged = await read(client, { processId: params.processId, afterSeq: 0, maxBytes: 65536 });
    expect(paged).toMatchObject({ exited: true, closed: true });
  });

  test("a closed process stays readable, then is forgotten and its id reusable", async () => {
    await using short = startTestServer({ closedRetentionMs: 100 });
    await using client = await short.session();
    const params = sh("echo hi");
    await run(client, params);
    expect((await read(client, { processId: params.processId })).closed).toBe(true);
    await waitFor(
      async () =>
        (await client.request("process/read", { processId: params.processId })).error?.code === -32600,
      { label: "the closed process to be forgotten" },
    );
    expect(await client.call("process/write", { processId: params.processId, chunk: "" })).toEqual({
      status: "unknownProcess",
    });
    expect(await client.call("process/terminate", { processId: params.processId })).toEqual({
      running: false,
    });
    expect(await client.call("process/start", params)).toEqual({
      processId: params.processId,
      sandboxType: "none",
    });
  });
});

describe("process/start", () => {
  test("empty argv is -32602", async () => {
    await using client = await server.session();
    expect((await client.request("process/start", startParams([]))).error).toMatchObject({
      code: -32602,
      message: "argv must not be empty",
    });
  });

  test("a duplicate id is refused while running and while retained", async () => {
    await using client = await server.session();
    const params = sh("sleep 5");
    await client.call("process/start", params);
    expect((await client.request("process/start", params)).error).toMatchObject({
      code: -32600,
      message: `process ${params.processId} already exists`,
    });
    await client.call("process/terminate", { processId: params.processId });
    await client.waitForClosed(params.processId);
    expect((await client.request("process/start", params)).error?.code).toBe(-32600);
  });

  test("spawn failures are -32603 and free the id", async () => {
    await using client = await server.session();
    const failure = async (params: object) => (await client.request("process/start", params)).error;
    const notFound = {
      code: -32603,
      message: "No such file or directory (os error 2)",
      data: { kind: "internal" },
    };
    expect(await failure(sh("true", { cwd: "/no/such/dir" }))).toEqual(notFound);
    const missingProgram = startParams(["no-such-program-xyz"]);
    expect(await failure(missingProgram)).toEqual(notFound);
    expect(await failure(startParams(["/no/such/program"]))).toEqual(notFound);
    expect(await failure(startParams(["/etc/passwd"]))).toMatchObject({
      message: "Permission denied (os error 13)",
    });
    expect(await failure(sh("true", { cwd: "/etc/passwd" }))).toMatchObject({
      message: "Not a directory (os error 20)",
    });
    expect(await failure(startParams(["/bin/echo", "x".repeat(4 * 1024 * 1024)]))).toMatchObject({
      message: "Argument list too long (os error 7)",
    });
    expect(
      await client.call("process/start", { ...sh("true"), processId: missingProgram.processId }),
    ).toMatchObject({
      processId: missingProgram.processId,
      sandboxType: "none",
    });
  });

  test("without envPolicy the child gets exactly env, and nothing of the server's", async () => {
    await using client = await server.session();
    const result = await run(client, startParams(["/usr/bin/env"], { env: { ONLY: "this" } }));
    expect(result.stdout).toBe("ONLY=this\n");
  });

  test("envPolicy shapes the inherited environment and env is laid over it", async () => {
    await using client = await server.session();
    process.env.EXEC_SERVER_TEST_API_KEY = "secret";
    process.env.EXEC_SERVER_TEST_PLAIN = "plain";
    const policy = {
      inherit: "all",
      ignoreDefaultExcludes: false,
      exclude: ["*PLAIN"],
      set: { SET: "1" },
      includeOnly: [],
    };
    const result = await run(
      client,
      startParams(["/usr/bin/env"], { env: { OVER: "2" }, envPolicy: policy }),
    );
    const vars = new Map(
      result.stdout
        .trim()
        .split("\n")
        .map((line) => line.split("=", 2) as [string, string]),
    );
    expect(vars.get("PATH")).toBe(process.env.PATH);
    expect(vars.has("EXEC_SERVER_TEST_API_KEY")).toBe(false);
    expect(vars.has("EXEC_SERVER_TEST_PLAIN")).toBe(false);
    expect(vars.get("SET")).toBe("1");
    expect(vars.get("OVER")).toBe("2");
    const none = {
      inherit: "none",
      ignoreDefaultExcludes: false,
      exclude: [],
      set: { A: "1" },
      includeOnly: [],
    };
    const bare = await run(client, startParams(["/usr/bin/env"], { env: { B: "2" }, envPolicy: none }));
    expect(bare.stdout).toBe("A=1\nB=2\n");
    const core = { inherit: "core", ignoreDefaultExcludes: true, exclude: [], set: {}, includeOnly: ["P*"] };
    const onlyPath = await run(client, startParams(["/usr/bin/env"], { env: {}, envPolicy: core }));
    expect(onlyPath.stdout).toBe(`PATH=${process.env.PATH}\n`);
  });

  test("a bare program name is looked up in the child's PATH", async () => {
    await using client = await server.session();
    const found = await run(client, startParams(["echo", "hi"], { env: { PATH: "/bin:/usr/bin" } }));
    expect(found.stdout).toBe("hi\n");
    const notFound = startParams(["echo", "hi"], { env: { PATH: "/nonexistent" } });
    expect((await client.request("process/start", notFound)).error?.code).toBe(-32603);
  });

  test("arg0 replaces argv[0]", async () => {
    await using client = await server.session();
    const result = await run(client, startParams(["/bin/sh", "-c", "echo $0"], { arg0: "custom-name" }));
    expect(result.stdout).toBe("custom-name\n");
  });
});

describe("process/write", () => {
  test("pipeStdin writes reach the program, and a pipe without it reports stdinClosed", async () => {
    await using client = await server.session();
    const cat = sh("head -n 2", { pipeStdin: true });
    await client.call("process/start", cat);
    for (const line of ["one\n", "two\n"]) {
      expect(
        await client.call("process/write", {
          processId: cat.processId,
          chunk: Buffer.from(line).toString("base64"),
        }),
      ).toEqual({
        status: "accepted",
      });
    }
    await client.waitForClosed(cat.processId);
    expect(client.outputOf(cat.processId).toString()).toBe("one\ntwo\n");
    const noStdin = sh("sleep 5");
    await client.call("process/start", noStdin);
    expect(await client.call("process/write", { processId: noStdin.processId, chunk: "eA==" })).toEqual({
      status: "stdinClosed",
    });
    expect(await client.call("process/write", { processId: "ghost", chunk: "eA==" })).toEqual({
      status: "unknownProcess",
    });
    await client.call("process/terminate", { processId: noStdin.processId });
  });

  test("a program without pipeStdin sees EOF on stdin at once", async () => {
    await using client = await server.session();
    const result = await run(client, sh("cat; echo done"));
    expect(result.stdout).toBe("done\n");
  });

  test("invalid base64 is -32602", async () => {
    await using client = await server.session();
    expect(
      (await client.request("process/write", { processId: "x", chunk: "not base64!" })).error?.code,
    ).toBe(-32602);
  });
});

describe("PTY", () => {
  test("input is echoed and output arrives on the pty stream", async () => {
    await using client = await server.session();
    const params = sh('read line; echo "got $line"', { tty: true });
    await client.call("process/start", params);
    await client.call("process/write", {
      processId: params.processId,
      chunk: Buffer.from("hello\n").toString("base64"),
    });
    await client.waitForClosed(params.processId);
    const output = client.outputOf(params.processId, "pty").toString();
    expect(output).toBe("hello\r\ngot hello\r\n");
    expect(
      client.eventsOf(params.processId).find((e) => e.method === "process/exited")?.params?.exitCode,
    ).toBe(0);
  });

  test("a PTY closes soon after its leader exits, even with a background job holding it", async () => {
    await using client = await server.session();
    const params = sh("sleep 20 & echo fg", { tty: true });
    await client.call("process/start", params);
    // Well before the background sleep would end.
    await client.waitForClosed(params.processId, 5000);
    expect(client.outputOf(params.processId).toString()).toBe("fg\r\n");
    const exited = client.eventsOf(params.processId).find((e) => e.method === "process/exited");
    expect(exited?.params?.exitCode).toBe(0);
  });

  test("stty size reports the default and a requested size", async () => {
    await using client = await server.session();
    const plain = await run(client, sh("stty size", { tty: true }));
    expect(plain.pty).toBe("24 80\r\n");
    const sized = await run(client, sh("stty size", { tty: true, size: { rows: 50, cols: 132 } }));
    expect(sized.pty).toBe("50 132\r\n");
  });
});

describe("exit codes and terminate", () => {
  test("terminate kills the whole group, grandchildren included", async () => {
    await using client = await server.session();
    const { params, grandchild } = await startFamily(client);
    expect(isAlive(grandchild)).toBe(true);
    expect(await client.call("process/terminate", { processId: params.processId })).toEqual({
      running: true,
    });
    await client.waitForClosed(params.processId);
    await waitFor(() => !isAlive(grandchild), { label: `grandchild ${grandchild} to die` });
    const exited = client.eventsOf(params.processId).find((e) => e.method === "process/exited");
    expect(exited?.params?.exitCode).toBe(137);
    expect(await client.call("process/terminate", { processId: params.processId })).toEqual({
      running: false,
    });
  });

  test("a PTY process killed by a signal reports 128 + the signal, as a pipe process does", async () => {
    await using client = await server.session();
    const params = sh("sleep 30", { tty: true });
    await client.call("process/start", params);
    expect(await client.call("process/terminate", { processId: params.processId })).toEqual({
      running: true,
    });
    await client.waitForClosed(params.processId);
    expect(
      client.eventsOf(params.processId).find((e) => e.method === "process/exited")?.params?.exitCode,
    ).toBe(137);
  });
});
