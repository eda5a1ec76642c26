// Guards `npm install -g codex-exec-server` (issue 16, item 8): the main package's launcher and
// this host's platform package, each packed by npm and installed from the local tarballs into a
// temp prefix (offline: the other platforms' optional dependencies are skipped), print the version
// and serve a session; the platform packages match build.ts's targets.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { compile, TARGETS } from "../../build.ts";
import { hostPlatform, PLATFORMS, packageName, writePlatformPackage } from "../../npm/platforms.ts";
import pkg from "../../package.json" with { type: "json" };
import { TestClient } from "../support/client.ts";
import { runToEnd, startCli } from "../support/harness.ts";
import { run, sh } from "../support/process.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const work = tempDir("npm-install-test-");
const prefix = join(work.path, "prefix");
const npm = (args: string[], cwd = work.path) =>
  runToEnd(
    [
      "npm",
      ...args,
      "--cache",
      join(work.path, "npm-cache"),
      "--no-audit",
      "--no-fund",
      "--no-update-notifier",
    ],
    {
      env: { ...process.env, npm_config_loglevel: "error" },
      cwd,
    },
  );

/** npm pack `dir` into the work directory; the tarball's path. */
async function pack(dir: string): Promise<string> {
  const result = await runToEnd(["npm", "pack", "--pack-destination", work.path, "--silent"], {
    cwd: dir,
  });
  if (result.code !== 0) throw new Error(`npm pack ${dir}: ${result.stderr}`);
  return join(work.path, result.stdout.trim().split("\n").at(-1) as string);
}

beforeAll(async () => {
  const binary = join(work.path, "codex-exec-server");
  await compile({ outfile: binary });
  const platformDir = await writePlatformPackage(hostPlatform(), binary, join(work.path, "npm"));
  const tarballs = [await pack(ROOT), await pack(platformDir)];
  const installed = await npm(["install", "--global", "--prefix", prefix, "--offline", ...tarballs]);
  if (installed.code !== 0) throw new Error(`npm install: ${installed.stderr}`);
}, 180_000);
afterAll(() => work[Symbol.dispose]());

const command = () => join(prefix, "bin", "codex-exec-server");

test("the installed command prints its version", async () => {
  const result = await runToEnd([command(), "--version"]);
  expect(result.stdout).toMatch(
    new RegExp(`^codex-exec-server ${pkg.version.replaceAll(".", "\\.")} \\(\\w+\\)\\n$`),
  );
  expect(result.code).toBe(0);
});

test("the installed command serves a session and stops on SIGTERM", async () => {
  await using server = await startCli([], {}, [command()]);
  const client = await TestClient.session(server.url);
  expect((await run(client, sh("echo via npm"))).stdout).toBe("via npm\n");
  await client.close();
  expect(await server.stop("SIGTERM")).toBe(0);
});

test("one optional dependency per build target, each at the package's version", () => {
  expect(Object.keys(PLATFORMS).sort()).toEqual(Object.keys(TARGETS).sort());
  expect(pkg.optionalDependencies as Record<string, string>).toEqual(
    Object.fromEntries(Object.keys(PLATFORMS).map((t) => [packageName(t as never), pkg.version])),
  );
});
