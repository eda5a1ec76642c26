// Guards SPEC §1: the URL line on stdout, flags and their env variables, one-line errors, and a
// clean shutdown on SIGTERM/SIGINT that kills every managed process group.
import { describe, expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { TestClient } from "../support/client.ts";
import { cliCommand, runCli, startCli } from "../support/harness.ts";
import { sh, startFamily } from "../support/process.ts";
import { isAlive, waitFor } from "../support/wait.ts";

/** The package version and this checkout's commit (a compiled binary says "unknown" outside git). */
function expectedVersion(): string {
  const git = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], {
    cwd: import.meta.dir,
    stderr: "ignore",
  });
  if (git.success) return `${pkg.version} (${git.stdout.toString().trim()})`;
  return process.env.CODEX_EXEC_SERVER_BIN ? `${pkg.version} (unknown)` : pkg.version;
}

describe("flags", () => {
  test("--version names the program, the version and the commit", async () => {
    expect(await runCli(["--version"])).toEqual({
      stdout: `codex-exec-server ${expectedVersion()}\n`,
      stderr: "",
      code: 0,
    });
  });

  test.each([
    [["--help"], "apt-get install bubblewrap"],
    [["-h"], "--listen"],
    [["help"], "--listen"],
    [["serve", "--help"], "--listen"],
    [["help", "exec"], "--workdir"],
    [["exec", "--help"], "--workdir"],
    [["cp", "--help"], ":/path"],
    [["call", "--help"], "METHOD"],
  ])("%p prints help on stdout, plain text within 100 columns, exit 0", async (args, mention) => {
    const help = await runCli(args, { FORCE_COLOR: "1" });
    expect(help.code).toBe(0);
    expect(help.stderr).toBe("");
    expect(help.stdout).toContain(mention);
    expect(help.stdout).not.toContain("\u001b");
    const widest = Math.max(...help.stdout.split("\n").map((line) => line.length));
    expect(widest).toBeLessThanOrEqual(100);
  });

  test.each([
    [["--lisen", "ws://127.0.0.1:0"], "unknown option '--lisen'; did you mean --listen?"],
    [["-l", "ws://127.0.0.1:0"], "unknown option '-l'"],
    [["serve", "--lisen", "ws://127.0.0.1:0"], "unknown option '--lisen'"],
    [["ws://127.0.0.1:0"], "unexpected argument 'ws://127.0.0.1:0'"],
    [["help", "nope"], "no command 'nope'"],
    [["--listen"], "option '--listen' needs a value"],
    [["--insecure-no-auth=yes"], "option '--insecure-no-auth' takes no value"],
    [["exec", "--bogus", "ls"], "unknown option '--bogus'"],
    [["cp", "--bogus"], "unknown option '--bogus'"],
    [["call", "--bogus"], "unknown option '--bogus'"],
  ])("usage mistake %p is one line on stderr, exit 2", async (args, message) => {
    const result = await runCli(args);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.code).toBe(2);
  });

  test.each([
    [["--listen", "localhost:1234"], "invalid --listen value 'localhost:1234': expected ws://IP:PORT"],
    [["--listen", "ws://localhost:0"], "must be an IP literal"],
    [["--listen", "ws://127.0.0.1:99999"], "must be 0-65535"],
    [["--session-ttl-ms", "soon"], "invalid --session-ttl-ms value 'soon'"],
    [["--log-level", "loud"], "invalid --log-level value 'loud'"],
    [["--cgroups", "yes"], "invalid --cgroups value 'yes': expected one of auto, on, off"],
    [["--no-such-flag"], "unknown option '--no-such-flag'"],
  ])("%p is a one-line error with exit code 2", async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("environment variables are read, and named in their errors", async () => {
    const result = await runCli([], { CODEX_EXEC_SERVER_RETAINED_OUTPUT_BYTES: "lots" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("invalid CODEX_EXEC_SERVER_RETAINED_OUTPUT_BYTES value 'lots'");
  });
});

describe("serving", () => {
  test("prints exactly the bound URL on stdout and serves it", async () => {
    await using server = await startCli(["--log-level", "debug"]);
    expect(server.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    await using client = await TestClient.session(server.url);
    await client.call("process/start", sh("echo hello"));
    const closed = await client.waitForNotification((n) => n.method === "process/closed", {
      label: "closed",
    });
    expect(closed.params?.seq).toBe(3);
    expect(client.outputOf(String(closed.params?.processId)).toString()).toBe("hello\n");
    await client.close();
    expect(await server.stop("SIGTERM")).toBe(0);
    expect(await server.restOfStdout()).toBe("");
    expect(await server.stderr()).toContain("listening");
  });

  test("--log-level error keeps stderr quiet; debug logs each request", async () => {
    for (const [level, expectQuiet] of [
      ["error", true],
      ["debug", false],
    ] as const) {
      await using server = await startCli(["--log-level", level]);
      const client = await TestClient.session(server.url);
      await client.call("fs/getMetadata", { path: "/" });
      await client.close();
      expect(await server.stop()).toBe(0);
      const stderr = await server.stderr();
      expect(stderr === "").toBe(expectQuiet);
      if (!expectQuiet) expect(stderr).toContain("fs/getMetadata");
      // A session id is a credential: logs show only its first characters.
      expect(stderr).not.toContain(client.sessionId);
      if (!expectQuiet) expect(stderr).toContain(client.sessionId.slice(0, 8));
    }
  });

  test("listens on IPv6 loopback", async () => {
    const child = Bun.spawn([...cliCommand(), "--listen", "ws://[::1]:0"], {
      stdout: "pipe",
      stderr: "ignore",
    });
    try {
      const reader = child.stdout.getReader();
      const { value } = await reader.read();
      const url = new TextDecoder().decode(value).trim();
      expect(url).toMatch(/^ws:\/\/\[::1\]:\d+$/);
      await using client = await TestClient.session(url);
      expect(await client.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
    } finally {
      child.kill();
      await child.exited;
    }
  });

  test("a tiny retained-output budget from the environment is honoured", async () => {
    await using server = await startCli([], { CODEX_EXEC_SERVER_RETAINED_OUTPUT_BYTES: "10" });
    await using client = await TestClient.session(server.url);
    const params = sh("read go; echo 0123456789; read go; echo abc", { pipeStdin: true });
    type Read = { chunks: { chunk: string }[] };
    const texts = (result: Read) => result.chunks.map((c) => Buffer.from(c.chunk, "base64").toString());
    await client.call("process/start", params);
    const write = (text: string) =>
      client.call("process/write", {
        processId: params.processId,
        chunk: Buffer.from(text).toString("base64"),
      });
    await write("1\n");
    await client.waitForNotification((n) => n.method === "process/output", { label: "the first line" });
    // Once read (a read after it says so), output counts against the 10-byte budget: the next
    // line evicts it.
    const first = (await client.call("process/read", {
      processId: params.processId,
      afterSeq: 0,
    })) as Read & {
      nextSeq: number;
    };
    expect(texts(first)).toEqual(["0123456789\n"]);
    await client.call("process/read", { processId: params.processId, afterSeq: first.nextSeq - 1 });
    await write("2\n");
    await client.waitForClosed(params.processId);
    const result = (await client.call("process/read", { processId: params.processId })) as Read;
    expect(texts(result)).toEqual(["abc\n"]);
  });

  test.each(["SIGTERM", "SIGINT"] as const)(
    "%s kills every managed process and grandchild, exit 0",
    async (signal) => {
      await using server = await startCli();
      await using client = await TestClient.session(server.url);
      const pids: number[] = [];
      for (const tty of [false, true]) {
        const { grandchild, child } = await startFamily(client, { tty });
        pids.push(grandchild, child);
      }
      expect(pids.every(isAlive)).toBe(true);
      expect(await server.stop(signal)).toBe(0);
      await waitFor(() => pids.every((pid) => !isAlive(pid)), { label: `processes ${pids} to die` });
    },
  );
});
