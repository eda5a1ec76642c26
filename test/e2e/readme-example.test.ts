// Guards README's "Use it from TypeScript" example: taken from the README as it stands, it runs
// against a real server and prints what its comments promise.
import { expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runToEnd, startTestServer } from "../support/harness.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

function readmeExample(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Use it from TypeScript"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error("README has no TypeScript example under 'Use it from TypeScript'");
  return code;
}

test("the README's example runs against a server and does what it says", async () => {
  const code = readmeExample();
  expect(code.split("\n").length).toBeLessThanOrEqual(22);
  await using server = startTestServer();
  using dir = tempDir();
  const file = join(dir.path, "example.ts");
  writeFileSync(
    file,
    code.replace('from "codex-exec-server"', `from ${JSON.stringify(join(ROOT, "src/lib.ts"))}`),
  );
  try {
    const result = await runToEnd([process.execPath, file], {
      env: { ...process.env, CODEX_EXEC_SERVER_URL: server.url },
    });
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 0,
      stdout: `0 ${process.platform === "darwin" ? "Darwin" : "Linux"}\nhello world\nexit code 0\n6\n`,
      stderr: "",
    });
    // What it wrote is on the server's disk.
    expect(readFileSync("/tmp/greeting.txt", "utf8")).toBe("hello\n");
  } finally {
    if (existsSync("/tmp/greeting.txt")) rmSync("/tmp/greeting.txt");
  }
});
