// Guards fs/getMetadata (SPEC §6), which a Codex client probes at start: link rules, error codes
// and the sandbox parameter.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer } from "../support/harness.ts";
import { tempDir } from "../support/tmp.ts";

const server = startTestServer();
afterAll(() => server.stop());

test("files, directories and links", async () => {
  using dir = tempDir();
  const file = join(dir.path, "file.txt");
  writeFileSync(file, "x");
  utimesSync(file, 1_700_000_000, 1_700_000_000.25);
  mkdirSync(join(dir.path, "sub"));
  symlinkSync(file, join(dir.path, "link"));
  symlinkSync(join(dir.path, "sub"), join(dir.path, "dirlink"));
  await using client = await server.session();
  const meta = (path: string) => client.call("fs/getMetadata", { path, sandbox: null });
  expect(await meta(file)).toEqual({
    isDirectory: false,
    isFile: true,
    isSymlink: false,
    size: 1,
    createdAtMs: expect.any(Number),
    modifiedAtMs: 1_700_000_000_250,
  });
  expect(await meta(join(dir.path, "sub"))).toMatchObject({
    isDirectory: true,
    isFile: false,
    isSymlink: false,
  });
  expect(await meta(join(dir.path, "link"))).toMatchObject({
    isDirectory: false,
    isFile: true,
    isSymlink: true,
  });
  expect(await meta(join(dir.path, "dirlink"))).toMatchObject({ isDirectory: true, isSymlink: true });
  // Lexical normalization: sub/.. is the directory itself even if sub were a link.
  expect(await meta(`${dir.path}/sub/../file.txt`)).toMatchObject({ isFile: true });
});

test("missing paths and dangling links are -32004; relative and empty paths are -32602", async () => {
  using dir = tempDir();
  symlinkSync(join(dir.path, "nowhere"), join(dir.path, "dangling"));
  await using client = await server.session();
  const error = async (path: string) => (await client.request("fs/getMetadata", { path })).error;
  expect(await error(join(dir.path, "missing"))).toMatchObject({
    code: -32004,
    message: "No such file or directory (os error 2)",
  });
  expect((await error(join(dir.path, "dangling")))?.code).toBe(-32004);
  expect((await error("relative/path"))?.code).toBe(-32602);
  expect((await error(""))?.code).toBe(-32602);
  expect((await error("/tmp/nul\0byte"))?.code).toBe(-32602);
});

test("a sandbox that restricts nothing runs; a malformed one is -32602 (enforcement: fs-sandbox.test.ts)", async () => {
  await using client = await server.session();
  const disabled = { permissions: { type: "disabled" }, windowsSandboxLevel: "disabled" };
  expect(await client.call("fs/getMetadata", { path: "/", sandbox: disabled })).toMatchObject({
    isDirectory: true,
  });
  const unrestricted = [
    { permissions: { type: "external", network: "restricted" }, windowsSandboxLevel: "disabled" },
    { permissions: { type: "managed", network: "enabled", file_system: { type: "unrestricted" } } },
  ];
  for (const sandbox of unrestricted) {
    expect(await client.call("fs/getMetadata", { path: "/", sandbox })).toMatchObject({ isDirectory: true });
  }
  const malformed = {
    permissions: {
      type: "managed",
      network: "restricted",
      file_system: { type: "restricted", entries: [{ path: "/tmp", access: "read" }] },
    },
    windowsSandboxLevel: "disabled",
  };
  for (const method of ["fs/getMetadata", "fs/readFile"]) {
    const response = await client.request(method, { path: "/etc/hostname", sandbox: malformed });
    expect(response.error?.code).toBe(-32602);
  }
});
