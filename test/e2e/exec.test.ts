// Guards `codex-exec-server exec`: both streams to the right place, stdin forwarded with EOF, the
// remote exit code (and 128+signal) as ours, --tty with an interactive program, one-line errors,
// spawn errors as the shell words them, a closed stdout, Ctrl-C, a server that goes away.
import { afterAll, expect, test } from "bun:test";
import { cliCommand, runCli, startCli, startTestServer } from "../support/harness.ts";
import { isAlive, waitFor } from "../support/wait.ts";

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
  expect(await exec(["--url", guarded.url, "--", "true"])).toEqual({
    stdout: "",
    stderr: `codex-exec-server exec: ${guarded.url}/: it requires a token; pass --token-file FILE or set CODEX_EXEC_SERVER_TOKEN (HTTP 401)\n`,
    code: 255,
  });
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

test("the URL from CODEX_EXEC_SERVER_URL, docker-style short flags, a command without --", async () => {
  const result = await runCli(["exec", "-w", "/etc", "-e", "A=1", "-it", "sh", "-c", 'pwd; echo "$A"'], {
    CODEX_EXEC_SERVER_URL: server.url,
  });
  expect(result).toEqual({ stdout: "/etc\r\n1\r\n", stderr: "", code: 0 });
  expect(await exec(["--url", server.url, "ls", "-d", "/"])).toEqual({ stdout: "/\n", stderr: "", code: 0 });
});

test("a wrong token is named as refused, and the server logs who tried", async () => {
  const { tempDir } = await import("../support/tmp.ts");
  using dir = tempDir();
  await Bun.write(`${dir.path}/token`, "right-token-123456\n");
  await Bun.write(`${dir.path}/wrong`, "wrong-token-123456\n");
  await using guarded = await startCli([
    "--ws-auth",
    "capability-token",
    "--ws-token-file",
    `${dir.path}/token`,
  ]);
  const result = await exec(["--url", guarded.url, "--token-file", `${dir.path}/wrong`, "true"]);
  expect(result.stderr).toBe(
    `codex-exec-server exec: ${guarded.url}/: the token was refused (wrong token?); pass --token-file FILE or set CODEX_EXEC_SERVER_TOKEN (HTTP 401)\n`,
  );
  expect(result.code).toBe(255);
  expect(await guarded.stop()).toBe(0);
  expect(await guarded.stderr()).toMatch(/connection refused \{"status":401,"peer":"127\.0\.0\.1"/);
});

test.each([
  [["nosuchprog-xyz"], "nosuchprog-xyz: command not found", 127],
  [["-w", "/nonexistent-dir", "ls"], "--workdir /nonexistent-dir: no such directory", 126],
  [["/etc/passwd"], "/etc/passwd: permission denied", 126],
])("a program that cannot start %p is named, exit 127/126", async (args, message, code) => {
  expect(await exec(["--url", server.url, ...args])).toEqual({
    stdout: "",
    stderr: `codex-exec-server exec: ${message}\n`,
    code,
  });
});

test("a closed stdout ends exec quietly (128+SIGPIPE) and the program is killed at once", async () => {
  const child = Bun.spawn(
    [...cliCommand(), "exec", "--url", server.url, "sh", "-c", "echo $$ >&2; exec yes"],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const reader = child.stdout.getReader();
  await reader.read();
  await reader.cancel();
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  expect(code).toBe(141);
  const pid = Number(stderr.trim());
  expect(stderr).toBe(`${pid}\n`);
  await waitFor(() => !isAlive(pid), { label: `the remote program ${pid} to be killed` });
});

/** Start exec on `script` and resolve once it printed "ready". */
async function startReady(script: string, url = server.url) {
  const child = Bun.spawn([...cliCommand(), "exec", "--url", url, "sh", "-c", script], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exec ended before it was ready: ${text}`);
    text += new TextDecoder().decode(value);
  }
  /** Read until `marker` has been printed. */
  const until = async (marker: string) => {
    while (!text.includes(marker)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`exec ended before it printed ${marker}: ${text}`);
      text += new TextDecoder().decode(value);
    }
  };
  const rest = async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += new TextDecoder().decode(value);
    }
  };
  return { child, until, rest };
}

test("Ctrl-C interrupts the remote group (its trap runs); a second one kills it", async () => {
  const trapped = await startReady(
    "trap 'echo trapped; exit 7' INT; echo ready; while :; do sleep 0.05; done",
  );
  trapped.child.kill("SIGINT");
  expect([await trapped.child.exited, await trapped.rest()]).toEqual([7, "ready\ntrapped\n"]);

  const stubborn = await startReady("trap 'echo ignored' INT; echo ready; while :; do sleep 0.05; done");
  // Two signals sent at once may arrive as one: the second is sent once the first was seen.
  stubborn.child.kill("SIGINT");
  await stubborn.until("ignored");
  stubborn.child.kill("SIGINT");
  expect(await stubborn.child.exited).toBe(137);
});

test("a server shutting down ends exec at once, saying the program was killed", async () => {
  const doomed = startTestServer();
  const running = await startReady("echo ready; sleep 60", doomed.url);
  await doomed.stop();
  expect(await running.child.exited).toBe(255);
  expect(await new Response(running.child.stderr).text()).toBe(
    "codex-exec-server exec: the server shut down; the program was killed\n",
  );
});
