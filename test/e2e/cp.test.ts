// Guards `codex-exec-server cp`: files and trees both ways (and within the server), into an
// existing directory, an upload larger than a frame, one-line failures naming the path.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { runCli, startTestServer } from "../support/harness.ts";
import { tempDir } from "../support/tmp.ts";

const server = startTestServer();
afterAll(() => server.stop());

const cp = (...args: string[]) => runCli(["cp", "--url", server.url, ...args]);

/** Every file under `dir` with its contents, for whole-tree comparisons. */
function tree(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(out, tree(path, `${prefix}${entry.name}/`));
    else out[`${prefix}${entry.name}`] = readFileSync(path, "latin1");
  }
  return out;
}

test("a tree goes up, comes back, and is copied within the server, whole", async () => {
  using dir = tempDir();
  mkdirSync(`${dir.path}/src/sub/deeper`, { recursive: true });
  writeFileSync(`${dir.path}/src/a.txt`, "alpha\n");
  writeFileSync(`${dir.path}/src/sub/deeper/b.bin`, Buffer.from([0, 1, 2, 255]));
  mkdirSync(`${dir.path}/src/empty`);
  expect(await cp(`${dir.path}/src`, `:${dir.path}/up`)).toEqual({ stdout: "", stderr: "", code: 0 });
  expect(await cp(`:${dir.path}/up`, `${dir.path}/down`)).toEqual({ stdout: "", stderr: "", code: 0 });
  expect(await cp(`:${dir.path}/up`, `:${dir.path}/within`)).toMatchObject({ code: 0 });
  const expected = tree(`${dir.path}/src`);
  expect(tree(`${dir.path}/up`)).toEqual(expected);
  expect(tree(`${dir.path}/down`)).toEqual(expected);
  expect(tree(`${dir.path}/within`)).toEqual(expected);
  expect(readdirSync(`${dir.path}/down`).sort()).toEqual(["a.txt", "empty", "sub"]);
});

test("into an existing directory a file keeps its name; a large upload is streamed", async () => {
  using dir = tempDir();
  mkdirSync(`${dir.path}/into`);
  // Past WHOLE_UPLOAD_BYTES (8 MiB): written with fs/open and fs/writeBlock, not one fs/writeFile frame.
  const big = Buffer.alloc(9 * 1024 * 1024, 7);
  big.write("head");
  writeFileSync(`${dir.path}/big`, big);
  expect(await cp(`${dir.path}/big`, `:${dir.path}/into`)).toMatchObject({ code: 0, stderr: "" });
  expect(readFileSync(`${dir.path}/into/big`).equals(big)).toBe(true);
  expect(await cp(`:${dir.path}/into/big`, `${dir.path}/again`)).toMatchObject({ code: 0 });
  expect(readFileSync(`${dir.path}/again`).equals(big)).toBe(true);
});

test.each([
  [
    [":/nonexistent-src", "/tmp/x"],
    "codex-exec-server cp: :/nonexistent-src: no such file or directory\n",
    1,
  ],
  [["/etc/hostname", ":/nonexistent-dir/x/y"], "codex-exec-server cp: :/nonexistent-dir/x/y: ", 1],
  [["/etc/hostname", "/tmp/x"], "codex-exec-server cp: one of SRC and DST must be remote (:/path)\n", 2],
  [["/etc/hostname", ":relative"], "codex-exec-server cp: invalid remote path ':relative'", 2],
  [["/etc/hostname"], "codex-exec-server cp: expected SRC and DST (a remote path is :/path)\n", 2],
])("%p fails in one line naming the path", async (args, message, code) => {
  const result = await cp(...args);
  expect(result.stderr.startsWith(message)).toBe(true);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.code).toBe(code);
});
