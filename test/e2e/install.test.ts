// Guards the download path (issue 7): `build.ts --release` makes this host's artifacts and their
// checksums; install.sh fetches them from a local HTTP server with nothing but sh, a downloader and
// a hasher, installs a binary that serves a session, and installs nothing when a checksum is wrong
// or missing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { gitCommit } from "../../build.ts";
import pkg from "../../package.json" with { type: "json" };
import { TestClient } from "../support/client.ts";
import { runToEnd, startCli } from "../support/harness.ts";
import { sh } from "../support/process.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const INSTALL_SH = join(ROOT, "install.sh");
// The tests run the binary they install, so they build this host's target (CI: linux-x64).
const HOST_TARGET = `${process.platform}-${process.arch}`;
const ARTIFACT = `codex-exec-server-${HOST_TARGET}`;
// What install.sh downloads: the binary's .tar.gz.
const TARBALL = `${ARTIFACT}.tar.gz`;
// What install.sh may use besides a downloader and a hasher; the tests put nothing else on PATH.
const BASE_TOOLS = ["uname", "ldd", "mktemp", "rm", "mkdir", "cp", "chmod", "mv", "tar", "gzip"];

const work = tempDir("install-test-");
const artifacts = join(work.path, "artifacts");
const sha256 = (data: string | Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest("hex");

/** Per-scenario replies: `/<scenario>/<name>` serves the override for name, else the built file. */
const scenarios = new Map<string, Map<string, string | Uint8Array | null>>();
const requested: string[] = [];
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const [, scenario = "", name = ""] = new URL(request.url).pathname.split("/");
    requested.push(`${scenario}/${name}`);
    const override = scenarios.get(scenario)?.get(name);
    if (override === null) return new Response("not found", { status: 404 });
    if (override !== undefined) return new Response(override);
    const file = Bun.file(join(artifacts, name));
    return (await file.exists()) ? new Response(file) : new Response("not found", { status: 404 });
  },
});

function scenario(name: string, overrides: Record<string, string | Uint8Array | null> = {}): string {
  scenarios.set(name, new Map(Object.entries(overrides)));
  return new URL(name, server.url).href;
}

/** A directory of symlinks to exactly the named commands (plus any fake scripts): install.sh's PATH. */
function toolbox(name: string, tools: string[], fakes: Record<string, string> = {}): string {
  const dir = join(work.path, "tools", name);
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    const path = Bun.which(tool);
    if (!path) throw new Error(`${tool} is not installed; the install tests need it`);
    symlinkSync(path, join(dir, tool));
  }
  for (const [tool, script] of Object.entries(fakes)) {
    writeFileSync(join(dir, tool), `#!/bin/sh\n${script}\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

let counter = 0;
/** Run install.sh into a fresh directory (optionally holding an earlier install) with its own TMPDIR. */
async function install(downloadUrl: string, path: string, previous?: string) {
  const dir = join(work.path, `run-${++counter}`);
  const installDir = join(dir, "bin");
  const tmp = join(dir, "tmp");
  mkdirSync(tmp, { recursive: true });
  if (previous !== undefined) {
    mkdirSync(installDir);
    writeFileSync(join(installDir, "codex-exec-server"), previous);
  }
  const { stdout, stderr, code } = await runToEnd(["/bin/sh", INSTALL_SH], {
    env: {
      PATH: path,
      HOME: join(dir, "home"),
      TMPDIR: tmp,
      CODEX_EXEC_SERVER_DOWNLOAD_URL: downloadUrl,
      CODEX_EXEC_SERVER_INSTALL_DIR: installDir,
    },
  });
  return { code, stdout, stderr: stderr.trimEnd().split("\n"), installDir, tmpLeft: readdirSync(tmp) };
}

/** The install directory as {name: sha256}, or null when it does not exist. */
function contents(dir: string): Record<string, string> | null {
  try {
    return Object.fromEntries(readdirSync(dir).map((name) => [name, sha256(readFileSync(join(dir, name)))]));
  } catch {
    return null;
  }
}

beforeAll(async () => {
  const build = Bun.spawn(
    [process.execPath, join(ROOT, "build.ts"), "--release", "--target", HOST_TARGET, "--outdir", artifacts],
    { stdout: "ignore", stderr: "pipe" },
  );
  if ((await build.exited) !== 0)
    throw new Error(`release build failed: ${await new Response(build.stderr).text()}`);
}, 120_000);

afterAll(async () => {
  await server.stop(true);
  work[Symbol.dispose]();
});

describe("build.ts --release", () => {
  test("makes the binary and its tarball, each with a .sha256, and SHA256SUMS listing both", async () => {
    const binary = readFileSync(join(artifacts, ARTIFACT));
    const tarball = readFileSync(join(artifacts, `${ARTIFACT}.tar.gz`));
    const lines = [`${sha256(binary)}  ${ARTIFACT}\n`, `${sha256(tarball)}  ${ARTIFACT}.tar.gz\n`];
    expect(readdirSync(artifacts).sort()).toEqual(
      [
        ARTIFACT,
        `${ARTIFACT}.sha256`,
        `${ARTIFACT}.tar.gz`,
        `${ARTIFACT}.tar.gz.sha256`,
        "SHA256SUMS",
        "npm",
      ].sort(),
    );
    expect(readFileSync(join(artifacts, "SHA256SUMS"), "utf8")).toBe(lines.join(""));
    expect(readFileSync(join(artifacts, `${ARTIFACT}.sha256`), "utf8")).toBe(lines[0] as string);
    expect(readFileSync(join(artifacts, `${ARTIFACT}.tar.gz.sha256`), "utf8")).toBe(lines[1] as string);

    // The tarball unpacks to an executable named codex-exec-server, the same bytes as the binary.
    const unpacked = join(work.path, "unpacked");
    mkdirSync(unpacked);
    const tar = Bun.spawn(["tar", "-xzf", join(artifacts, `${ARTIFACT}.tar.gz`), "-C", unpacked]);
    expect(await tar.exited).toBe(0);
    expect(readdirSync(unpacked)).toEqual(["codex-exec-server"]);
    expect(sha256(readFileSync(join(unpacked, "codex-exec-server")))).toBe(sha256(binary));
    expect(statSync(join(unpacked, "codex-exec-server")).mode & 0o777).toBe(0o755);
  });
});

describe("install.sh", () => {
  test("with curl and sha256sum: installs a binary that serves a session", async () => {
    const path = toolbox("curl", [...BASE_TOOLS, "curl", "sha256sum"]);
    const result = await install(scenario("good"), path);
    const installed = join(result.installDir, "codex-exec-server");
    const version = `${pkg.version} (${gitCommit()})`;
    expect(result).toMatchObject({ code: 0, stdout: "", tmpLeft: [] });
    expect(result.stderr).toEqual([
      `codex-exec-server install: downloading ${scenario("good")}/${TARBALL}`,
      `codex-exec-server install: installed codex-exec-server ${version} as ${installed}`,
      `codex-exec-server install: ${result.installDir} is not on your PATH; add it with: export PATH="${result.installDir}:$PATH"`,
    ]);
    expect(contents(result.installDir)).toEqual({
      "codex-exec-server": sha256(readFileSync(join(artifacts, ARTIFACT))),
    });
    expect(statSync(installed).mode & 0o777).toBe(0o755);

    const versionRun = Bun.spawnSync([installed, "--version"]);
    expect(versionRun.stdout.toString()).toBe(`codex-exec-server ${version}\n`);

    await using server = await startCli([], {}, [installed]);
    await using client = await TestClient.session(server.url);
    const params = sh("echo installed-and-serving");
    await client.call("process/start", params);
    await client.waitForClosed(params.processId);
    expect(client.outputOf(params.processId).toString()).toBe("installed-and-serving\n");
    const file = join(work.path, "readable.txt");
    writeFileSync(file, "file contents\n");
    expect(await client.call("fs/readFile", { path: file })).toEqual({
      dataBase64: Buffer.from("file contents\n").toString("base64"),
    });
    await client.close();
    expect(await server.stop("SIGTERM")).toBe(0);
  }, 30_000);

  test("with wget and shasum: replaces an earlier install (SHA256SUMS without a final newline)", async () => {
    const path = toolbox("wget", [...BASE_TOOLS, "wget", "shasum"]);
    const downloadUrl = scenario("wget", {
      SHA256SUMS: `${sha256(readFileSync(join(artifacts, TARBALL)))}  ${TARBALL}`,
    });
    const result = await install(downloadUrl, path, "an older codex-exec-server");
    expect(result).toMatchObject({ code: 0, tmpLeft: [] });
    expect(contents(result.installDir)).toEqual({
      "codex-exec-server": sha256(readFileSync(join(artifacts, ARTIFACT))),
    });
  });

  // Without a final newline, so that the last line (the binary's) is read like any other.
  const otherLines = () =>
    readFileSync(join(artifacts, "SHA256SUMS"), "utf8")
      .split("\n")
      .filter((line) => line && !line.endsWith(`  ${TARBALL}`))
      .join("\n");
  // A tarball holding a codex-exec-server that cannot run, and one holding something else.
  const tarOf = (name: string, body: string) => {
    const dir = join(work.path, `tar-${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), body);
    chmodSync(join(dir, name), 0o755);
    Bun.spawnSync(["tar", "-czf", join(dir, "out.tar.gz"), "-C", dir, name]);
    return readFileSync(join(dir, "out.tar.gz"));
  };
  const once = (make: () => Buffer) => {
    let made: Buffer | undefined;
    return () => (made ??= make());
  };
  const failing = once(() => tarOf("codex-exec-server", "#!/bin/sh\nexit 1\n"));
  const misnamed = once(() => tarOf("something-else", "x"));

  test.each([
    ["a corrupted artifact", () => ({ [TARBALL]: "not the binary" }), `checksum mismatch for ${TARBALL}`],
    [
      "a SHA256SUMS with another checksum",
      () => ({ SHA256SUMS: `${sha256("something else")}  ${TARBALL}\n` }),
      `checksum mismatch for ${TARBALL}`,
    ],
    [
      "a SHA256SUMS without the tarball (the raw binary's entry does not count)",
      () => ({ SHA256SUMS: otherLines() }),
      `SHA256SUMS has no entry for ${TARBALL}; nothing installed`,
    ],
    [
      "a malformed checksum",
      () => ({ SHA256SUMS: `not-a-checksum  ${TARBALL}\n` }),
      `SHA256SUMS has a malformed entry for ${TARBALL}; nothing installed`,
    ],
    [
      "no SHA256SUMS",
      () => ({ SHA256SUMS: null }),
      "SHA256SUMS (curl: (22) The requested URL returned error: 404)",
    ],
    [
      "no artifact",
      () => ({ [TARBALL]: null }),
      `${TARBALL} (curl: (22) The requested URL returned error: 404)`,
    ],
    [
      "a verified binary that cannot run here",
      () => ({ [TARBALL]: failing(), SHA256SUMS: `${sha256(failing())}  ${TARBALL}\n` }),
      `the downloaded ${TARBALL} does not run on this host; nothing installed`,
    ],
    [
      "a verified tarball without the binary",
      () => ({ [TARBALL]: misnamed(), SHA256SUMS: `${sha256(misnamed())}  ${TARBALL}\n` }),
      `cannot unpack ${TARBALL} (no codex-exec-server in it?); nothing installed`,
    ],
  ] as const)("refuses %s: exit 1, one message, earlier install untouched", async (_, overrides, message) => {
    const name = `bad-${++counter}`;
    const path = toolbox(name, [...BASE_TOOLS, "curl", "sha256sum"]);
    const result = await install(scenario(name, overrides()), path, "an older codex-exec-server");
    expect(result).toMatchObject({ code: 1, stdout: "", tmpLeft: [] });
    expect(result.stderr.filter((line) => !line.includes(": downloading "))).toEqual([
      expect.stringContaining(message),
    ]);
    expect(contents(result.installDir)).toEqual({
      "codex-exec-server": sha256("an older codex-exec-server"),
    });
  });

  test("a bad download creates no install directory", async () => {
    const path = toolbox("no-dir", [...BASE_TOOLS, "curl", "sha256sum"]);
    const result = await install(scenario("no-dir", { [TARBALL]: "not the binary" }), path);
    expect(result.code).toBe(1);
    expect(contents(result.installDir)).toBeNull();
  });

  test("the SHA256SUMS entry is checked before the binary is downloaded", async () => {
    const path = toolbox("early", [...BASE_TOOLS, "curl", "sha256sum"]);
    const result = await install(scenario("early", { SHA256SUMS: "" }), path);
    expect(result.code).toBe(1);
    expect(requested.filter((r) => r.startsWith("early/"))).toEqual(["early/SHA256SUMS"]);
  });

  // uname, ldd and sysctl are fakes here, so every platform's choice is checked on this one.
  test.each([
    ["Linux", "x86_64", "ldd (Debian GLIBC 2.36-9+deb12u9) 2.36", "0", "codex-exec-server-linux-x64.tar.gz"],
    ["Linux", "x86_64", "musl libc (x86_64)", "0", "codex-exec-server-linux-x64-musl.tar.gz"],
    ["Linux", "aarch64", "ldd (GNU libc) 2.39", "0", "codex-exec-server-linux-arm64.tar.gz"],
    ["Linux", "aarch64", "musl libc (aarch64)", "0", "codex-exec-server-linux-arm64-musl.tar.gz"],
    ["Darwin", "arm64", "", "0", "codex-exec-server-darwin-arm64.tar.gz"],
    ["Darwin", "x86_64", "", "0", "codex-exec-server-darwin-x64.tar.gz"],
    ["Darwin", "x86_64", "", "1", "codex-exec-server-darwin-arm64.tar.gz"], // an x86_64 shell under Rosetta
    ["FreeBSD", "amd64", "", "0", "no prebuilt binary for FreeBSD"],
    ["Linux", "riscv64", "", "0", "no prebuilt binary for CPU riscv64"],
  ])("%s %s (ldd %j, translated %s): %s", async (os, arch, ldd, translated, expected) => {
    const name = `platform-${++counter}`;
    const path = toolbox(name, ["mktemp", "rm", "curl", "sha256sum", "tar"], {
      uname: `case "$1" in -s) echo '${os}' ;; -m) echo '${arch}' ;; *) exit 2 ;; esac`,
      ...(ldd ? { ldd: `echo '${ldd}' >&2; exit 1` } : {}),
      sysctl: `echo ${translated}`,
    });
    // No entries: the message names the artifact the script looked for, and nothing is downloaded.
    const result = await install(scenario(name, { SHA256SUMS: "" }), path);
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([
      expected.startsWith("codex-exec-server-")
        ? `codex-exec-server install: ${scenario(name)}/SHA256SUMS has no entry for ${expected}; nothing installed`
        : expect.stringContaining(expected),
    ]);
  });
});
