// Guards `codex-exec-server call`: the handshake and one request, the result (or the error object)
// as JSON on stdout, params from the command line or stdin, one-line failures.
import { afterAll, expect, test } from "bun:test";
import { runCli, startTestServer } from "../support/harness.ts";

const server = startTestServer();
afterAll(() => server.stop());

const call = (args: string[], stdin?: string) => runCli(["call", "--url", server.url, ...args], {}, stdin);

test("a result is printed as JSON, exit 0", async () => {
  const result = await call(["fs/getMetadata", '{"path":"/"}']);
  expect(result).toMatchObject({ stderr: "", code: 0 });
  expect(JSON.parse(result.stdout)).toMatchObject({ isDirectory: true, isFile: false, isSymlink: false });
});

test("params from stdin with -", async () => {
  const result = await call(["fs/readDirectory", "-"], '{"path":"/"}');
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout).entries.map((e: { fileName: string }) => e.fileName)).toContain("tmp");
});

test("an error answer is printed as its JSON error object, exit 1", async () => {
  const result = await call(["no/such"]);
  expect(result.code).toBe(1);
  expect(JSON.parse(result.stdout)).toMatchObject({ code: -32601 });
  const missing = await call(["fs/getMetadata", '{"path":"/nonexistent-path"}']);
  expect(missing.code).toBe(1);
  expect(JSON.parse(missing.stdout).message).toContain("No such file or directory");
});

test.each([
  [["fs/getMetadata", "{nope"], "invalid JSON params"],
  [[], "expected METHOD [JSON]"],
])("%p is a usage mistake, exit 2", async (args, message) => {
  const result = await call(args);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(message);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
});

test("an unreachable server is one line, exit 255", async () => {
  const gone = startTestServer();
  await gone.stop();
  const result = await runCli(["call", "--url", gone.url, "fs/getMetadata"]);
  expect(result).toEqual({
    stdout: "",
    stderr: `codex-exec-server call: cannot connect to ${gone.url}/\n`,
    code: 255,
  });
});
