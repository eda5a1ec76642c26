// Guards the fs methods' sandbox check against the contexts real clients send (0.171 and 0.125
// workspace-write): writes inside the workspace work, writes outside it, into .git, or through a
// symlink that leaves it are refused with the 0.171 reference's errors; reads follow the policy.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SandboxContext } from "../../src/protocol/sandbox.ts";
import { startTestServer } from "../support/harness.ts";
import { CODEX_125, workspaceSandbox } from "../support/sandbox.ts";
import { tempDir } from "../support/tmp.ts";

const server = startTestServer();
const work = tempDir("fs-sandbox-work-");
const outside = tempDir("fs-sandbox-outside-");
const sandbox171 = workspaceSandbox(work.path, { method: "fs/writeFile" });
const sandbox125 = workspaceSandbox(work.path, { name: CODEX_125, method: "fs/writeFile" });
const b64 = (text: string) => Buffer.from(text).toString("base64");
const READ_ONLY = { code: -32603, message: "Read-only file system (os error 30)" };

beforeAll(() => {
  mkdirSync(join(work.path, ".git"));
  writeFileSync(join(work.path, ".git/config"), "[core]\n");
  writeFileSync(join(outside.path, "secret"), "secret\n");
  symlinkSync(outside.path, join(work.path, "link-out"));
  // Dangling links: writing through them creates their target, so they are judged by it.
  symlinkSync(join(outside.path, "created-through-link"), join(work.path, "dangling-out"));
  symlinkSync(join(work.path, ".git/hooks/pre-commit"), join(work.path, "dangling-hook"));
  symlinkSync(`../${outside.path.split("/").at(-1)}/relative-target`, join(work.path, "dangling-relative"));
});
afterAll(async () => {
  await server.stop();
  work[Symbol.dispose]();
  outside[Symbol.dispose]();
});

async function answer(method: string, params: Record<string, unknown>) {
  await using client = await server.session();
  const response = await client.request(method, params);
  return response.error ? { code: response.error.code, message: response.error.message } : response.result;
}

const write = (path: string, sandbox: SandboxContext) =>
  answer("fs/writeFile", { path, dataBase64: b64("patched\n"), sandbox });

test.each([
  ["0.171", sandbox171],
  ["0.125", sandbox125],
])(
  "%s: apply_patch's write inside the workspace works; outside, .git and links out are refused",
  async (_v, sandbox) => {
    expect(await write(join(work.path, "patched.txt"), sandbox)).toEqual({});
    expect(readFileSync(join(work.path, "patched.txt"), "utf8")).toBe("patched\n");
    expect(await write(join(outside.path, "patched.txt"), sandbox)).toEqual(READ_ONLY);
    expect(await write(join(work.path, ".git/config"), sandbox)).toEqual(READ_ONLY);
    expect(await write(join(work.path, "link-out/patched.txt"), sandbox)).toEqual(READ_ONLY);
    expect(existsSync(join(outside.path, "patched.txt"))).toBe(false);
    expect(readFileSync(join(work.path, ".git/config"), "utf8")).toBe("[core]\n");
  },
);

test("a dangling symlink is judged by where it points (a write through it would create its target)", async () => {
  for (const name of ["dangling-out", "dangling-hook", "dangling-relative"])
    expect(await write(join(work.path, name), sandbox171)).toEqual(READ_ONLY);
  expect(existsSync(join(outside.path, "created-through-link"))).toBe(false);
  expect(existsSync(join(work.path, ".git/hooks/pre-commit"))).toBe(false);
  expect(existsSync(join(outside.path, "relative-target"))).toBe(false);
});

test("a missing protected name (.codex) is as read-only as the sandbox makes it for commands", async () => {
  expect(await write(join(work.path, ".codex/config.toml"), sandbox171)).toEqual(READ_ONLY);
  expect(
    await answer("fs/createDirectory", { path: join(work.path, ".codex"), sandbox: sandbox171 }),
  ).toEqual(READ_ONLY);
  expect(existsSync(join(work.path, ".codex"))).toBe(false);
});

test("createDirectory, remove and copy are judged per path", async () => {
  const sandbox = sandbox171;
  expect(await answer("fs/createDirectory", { path: join(outside.path, "d"), sandbox })).toEqual(READ_ONLY);
  expect(await answer("fs/createDirectory", { path: join(work.path, "d/e"), sandbox })).toEqual({});
  const remove = (path: string, force = false) =>
    answer("fs/remove", { path, recursive: false, force, sandbox });
  expect(await remove(join(outside.path, "secret"))).toEqual(READ_ONLY);
  expect(readFileSync(join(outside.path, "secret"), "utf8")).toBe("secret\n");
  // Nothing to remove: answered as unsandboxed (the reference's answer too).
  expect(await remove(join(outside.path, "absent"), true)).toEqual({});
  // The link itself is in the workspace: removing it leaves its target alone.
  symlinkSync(outside.path, join(work.path, "link-2"));
  expect(await remove(join(work.path, "link-2"))).toEqual({});
  expect(existsSync(join(outside.path, "secret"))).toBe(true);
  const copy = (from: string, to: string) =>
    answer("fs/copy", { sourcePath: from, destinationPath: to, recursive: false, sandbox });
  expect(await copy(join(outside.path, "secret"), join(work.path, "copied"))).toEqual({});
  expect(await copy(join(work.path, "copied"), join(outside.path, "copied"))).toEqual(READ_ONLY);
});

test("reads: everything under a readable root; outside every root as absent; denied paths -32600", async () => {
  const onlyWorkspace = JSON.parse(JSON.stringify(sandbox171));
  onlyWorkspace.permissions.file_system.entries = onlyWorkspace.permissions.file_system.entries.filter(
    (e: { path: { value?: { kind?: string } } }) => e.path.value?.kind !== "root",
  );
  const secret = join(outside.path, "secret");
  expect(await answer("fs/readFile", { path: secret, sandbox: sandbox171 })).toEqual({
    dataBase64: b64("secret\n"),
  });
  const absent = { code: -32004, message: "No such file or directory (os error 2)" };
  expect(await answer("fs/readFile", { path: secret, sandbox: onlyWorkspace })).toEqual(absent);
  expect(await answer("fs/getMetadata", { path: secret, sandbox: onlyWorkspace })).toEqual(absent);
  expect(
    await answer("fs/readFile", { path: join(work.path, "link-out/secret"), sandbox: onlyWorkspace }),
  ).toEqual(absent);
  expect(
    await answer("fs/readFile", { path: join(work.path, "patched.txt"), sandbox: onlyWorkspace }),
  ).toEqual({
    dataBase64: b64("patched\n"),
  });
  const denying = JSON.parse(JSON.stringify(sandbox171));
  denying.permissions.file_system.entries.push({
    path: { type: "path", path: `file://${outside.path}` },
    access: "none",
  });
  expect(await answer("fs/readFile", { path: secret, sandbox: denying })).toEqual({
    code: -32600,
    message: "Permission denied (os error 13)",
  });
});

test("malformed contexts are -32602; contexts that restrict nothing run", async () => {
  const path = join(outside.path, "free.txt");
  const bad = await answer("fs/writeFile", {
    path,
    dataBase64: b64("x"),
    sandbox: { permissions: { type: "managed" } },
  });
  expect(bad).toMatchObject({ code: -32602 });
  const unrestricted = [
    { permissions: { type: "disabled" } },
    { permissions: { type: "external", network: "restricted" } },
    { permissions: { type: "managed", network: "enabled", file_system: { type: "unrestricted" } } },
  ];
  for (const sandbox of unrestricted) expect(await write(path, sandbox as SandboxContext)).toEqual({});
});
