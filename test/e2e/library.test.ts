// Guards the library as npm ships it (issue 16, item 9): `npm pack` at the top level holds the
// launcher and the built library (JavaScript and .d.ts), no sources, tests or benchmarks; installed
// from that tarball into a temp project (offline), an example runs under Node and Bun.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runToEnd, startTestServer } from "../support/harness.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const work = tempDir("library-test-");
const project = join(work.path, "project");
const server = startTestServer();
let tarball = "";

beforeAll(async () => {
  // npm pack runs prepack: the library build.
  const packed = await runToEnd(["npm", "pack", "--pack-destination", work.path, "--silent"], { cwd: ROOT });
  if (packed.code !== 0) throw new Error(`npm pack: ${packed.stderr}`);
  tarball = join(work.path, packed.stdout.trim().split("\n").at(-1) as string);
  await runToEnd(["mkdir", "-p", project]);
  writeFileSync(join(project, "package.json"), '{ "name": "example", "private": true, "type": "module" }\n');
  copyFileSync(join(ROOT, "test/fixtures/library-example.mjs"), join(project, "example.mjs"));
  const cache = join(work.path, "npm-cache");
  const installed = await runToEnd(
    ["npm", "install", "--offline", "--no-audit", "--no-fund", "--cache", cache, tarball],
    { cwd: project },
  );
  if (installed.code !== 0) throw new Error(`npm install: ${installed.stderr}`);
}, 120_000);
afterAll(async () => {
  await server.stop();
  work[Symbol.dispose]();
});

test("the tarball holds the launcher and the built library, nothing else", async () => {
  const listed = await runToEnd(["tar", "-tzf", tarball]);
  const files = listed.stdout.trim().split("\n").sort();
  const outside = files.filter(
    (f) =>
      !/^package\/(package\.json|README\.md|LICENSE|npm\/bin\/codex-exec-server\.js|dist\/lib\/.+)$/.test(f),
  );
  expect(outside).toEqual([]);
  expect(files).toContain("package/dist/lib/lib.js");
  expect(files).toContain("package/dist/lib/lib.d.ts");
  expect(files).toContain("package/dist/lib/environment.d.ts");
  expect(files.filter((f) => /\.test\.|\/test\/|\/bench\/|\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual(
    [],
  );
});

/** Node as the test machine has it; 20 and 21 have their WebSocket behind a flag (22 by default). */
function node(): string[] {
  const version = Bun.spawnSync(["node", "--version"]).stdout.toString();
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  expect(major).toBeGreaterThanOrEqual(20);
  return major < 22 ? ["node", "--experimental-websocket"] : ["node"];
}

test.each([
  ["Node", node],
  ["Bun", () => [process.execPath]],
])("an example runs under %s", async (_, runtime) => {
  const file = join(work.path, "greeting.txt");
  writeFileSync(file, "greetings\n");
  const result = await runToEnd([...runtime(), "example.mjs", server.url, file], { cwd: project });
  expect(result.stderr).toBe("");
  expect(JSON.parse(result.stdout)).toEqual({
    stdout: "hello from sh\n",
    text: "greetings\n",
    missing: true,
  });
  expect(result.code).toBe(0);
});
