// Guards `codex-exec-server exec`: both streams to the right place, stdin forwarded with EOF, the
// remote exit code (and 128+signal) as ours, --tty with an interactive program, one-line errors.
import { afterAll, expect, test } from "bun:test";
import { cliCommand, runCli, startTestServer } from "../support/harness.ts";

const server = startTestServer();
afterAll(() => server.stop());

const exec = (args: string[], stdin?: string) => runCli(["exec", ...args], {}, stdin);

test("stdout and stderr go to their places and the exit code is the program's", async () => {
  const result = await exec(["--url", server.url, "--", "sh", "-c", "echo out; echo err >&2; exit 3"]);
  expect(result).toEqual({ stdout: "out\n", stderr: "err\n", code: 3 });
});

test("local stdin reaches the program, and its end is the program's EOF", async () => {
  const result = await exec(
    ["--url", server.url, "--", "sh", "-c", "cat; echo done"],
    "line one\nline two\n",
  );
  expect(result).toEqual({ stdout: "line one\nline two\ndone\n", stderr: "", code: 0 });
});

test("--cwd and --env apply; a signal death exits 128+N", async () => {
  const result = await exec([
    "--url",
    server.url,
    "--cwd",
    "/etc",
    "--env",
    "GREETING=hi there",
    "--",
    "sh",
    "-c",
    'pwd; echo "$GREETING"; kill -9 $$',
  ]);
  expect(result).toEqual({ stdout: "/etc\nhi there\n", stderr: "", code: 137 });
});

test("--tty runs an interactive program fed from stdin", async () => {
  const result = await exec(
    ["--url", server.url, "--tty", "--", "sh", "-c", 'read name; echo "hello $name"; exit 5'],
    "world\n",
  );
  expect(result.stdout).toBe("world\r\nhello world\r\n");
  expect(result.code).toBe(5);
});

test("large output arrives whole", async () => {
  const result = await exec(["--url", server.url, "--", "sh", "-c", "seq 1 200000"]);
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(`${Array.from({ length: 200000 }, (_, i) => i + 1).join("\n")}\n`);
});

test.each([
  [["--", "ls"], "--url is required"],
  [["--url", "ws://127.0.0.1:9"], "no command given"],
  [["--url", "ws://127.0.0.1:9", "--env", "NOEQUALS", "--", "ls"], "invalid --env 'NOEQUALS'"],
  [["--url", "ws://127.0.0.1:9", "--cwd", "relative", "--", "ls"], "invalid --workdir 'relative'"],
])("usage error %p is one line, exit 2", async (args, message) => {
  const result = await exec(args);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(message);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
});

test("an unreachable server is a one-line error, exit 255", async () => {
  const stopped = startTestServer();
  const url = stopped.url;
  await stopped.stop();
  const result = await exec(["--url", url, "--connect-timeout-ms", "2000", "--", "true"]);
  expect(result.code).toBe(255);
  expect(result.stderr).toBe(`codex-exec-server exec: cannot connect to ${url}/\n`);
});

test("--ws-token-file (or CODEX_EXEC_SERVER_TOKEN) reaches a server that requires a token", async () => {
  const { createHash } = await import("node:crypto");
  const { tempDir } = await import("../support/tmp.ts");
  const token = "exec-test-token-1234";
  await using guarded = startTestServer({ tokenSha256: createHash("sha256").update(token).digest() });
  using dir = tempDir();
  const file = `${dir.path}/token`;
  await Bun.write(file, `${token}\n`);
  expect((await exec(["--url", guarded.url, "--", "true"])).code).toBe(255);
  expect(await exec(["--url", guarded.url, "--ws-token-file", file, "--", "echo", "in"])).toEqual({
    stdout: "in\n",
    stderr: "",
    code: 0,
  });
  const viaEnv = Bun.spawn([...cliCommand(), "exec", "--url", guarded.url, "--", "echo", "env"], {
    stdout: "pipe",
    env: { ...process.env, CODEX_EXEC_SERVER_TOKEN: token },
  });
  expect([await new Response(viaEnv.stdout).text(), await viaEnv.exited]).toEqual(["env\n", 0]);
});
