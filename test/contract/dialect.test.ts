// Guards what Codex 0.169+ needs beside 0.125, on every Environment (local, websocket, stdio):
// file:// URIs in path fields, fs/getMetadata size, writeId, environmentInfo, process/signal.
import { describe, expect, test } from "bun:test";
import { accessSync, constants, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidParams, NotFound } from "../../src/errors.ts";
import { toFileUri } from "../../src/protocol/path.ts";
import { ENVIRONMENTS, recorder, shell } from "../support/environments.ts";
import { tempDir } from "../support/tmp.ts";
import { waitFor } from "../support/wait.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => Buffer.from(b).toString();

describe.each(ENVIRONMENTS)("0.169+ dialect (%s)", (_name, makeEnvironment) => {
  test("path fields take file:// URIs, percent-decoded, as well as plain paths", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    const work = join(dir.path, "wörk dir%25#x");
    mkdirSync(work);
    const uri = toFileUri(join(work, "a b.txt"));
    expect(uri).toBe(`file://${dir.path}/w%C3%B6rk%20dir%2525%23x/a%20b.txt`);
    await env.fs.writeFile(uri, bytes("via uri"));
    expect(str(await env.fs.readFile(join(work, "a b.txt")))).toBe("via uri");
    const viaLocalhost = `file://localhost${toFileUri(join(work, "sub", "..", "a b.txt")).slice(7)}`;
    expect(str(await env.fs.readFile(viaLocalhost))).toBe("via uri");
    await env.fs.copy(uri, toFileUri(join(work, "copy.txt")), { recursive: false });
    expect(str(await env.fs.readFile(join(work, "copy.txt")))).toBe("via uri");
    // A command's cwd too.
    const events = recorder(env);
    const options = shell("pwd", { cwd: toFileUri(work) });
    await env.process.start(options);
    await events.closed(options.processId);
    expect(events.output(options.processId)).toBe(`${work}\n`);
  });

  test("bad URIs are invalid params; a missing file is still not found", async () => {
    await using env = await makeEnvironment();
    for (const bad of [
      "file://example.com/tmp",
      "file:///tmp?x=1",
      "file:///tmp#x",
      "http://x/tmp",
      "relative/path",
      "file:///tmp/%FF",
      "file:///tmp/a%2Fb",
      "file:///tmp/nul%00",
    ]) {
      await expect(env.fs.getMetadata(bad)).rejects.toBeInstanceOf(InvalidParams);
    }
    await expect(env.fs.getMetadata("file:///surely/not/here/.git")).rejects.toBeInstanceOf(NotFound);
    await expect(env.process.start(shell("true", { cwd: "file://example.com/tmp" }))).rejects.toBeInstanceOf(
      InvalidParams,
    );
  });

  test("getMetadata reports size: a file's bytes, a directory's st_size, a link's target", async () => {
    await using env = await makeEnvironment();
    using dir = tempDir();
    writeFileSync(join(dir.path, "f"), "12345");
    symlinkSync(join(dir.path, "f"), join(dir.path, "link"));
    expect(await env.fs.getMetadata(join(dir.path, "f"))).toMatchObject({ isFile: true, size: 5 });
    expect(await env.fs.getMetadata(join(dir.path, "link"))).toMatchObject({ isSymlink: true, size: 5 });
    const directory = await env.fs.getMetadata(dir.path);
    expect(directory.isDirectory).toBe(true);
    expect(directory.size).toBeGreaterThan(0);
  });

  test("a repeated writeId is acknowledged and not written again; an empty one is refused", async () => {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const options = shell("cat", { pipeStdin: true });
    await env.process.start(options);
    const id = options.processId;
    expect(await env.process.write(id, bytes("a"), "1")).toBe("accepted");
    expect(await env.process.write(id, bytes("B"), "1")).toBe("accepted");
    expect(await env.process.write(id, bytes("c"), "0")).toBe("accepted");
    expect(await env.process.write(id, bytes("d"))).toBe("accepted");
    await expect(env.process.write(id, bytes("e"), "")).rejects.toBeInstanceOf(InvalidParams);
    await env.process.closeStdin(id);
    await events.closed(id);
    expect(events.output(id)).toBe("acd");
    // A write that did not go through gives its id back: the retry is answered as it is.
    const noStdin = shell("sleep 5");
    await env.process.start(noStdin);
    expect(await env.process.write(noStdin.processId, bytes("x"), "7")).toBe("stdinClosed");
    expect(await env.process.write(noStdin.processId, bytes("x"), "7")).toBe("stdinClosed");
    await env.process.terminate(noStdin.processId);
  });

  test("environmentInfo: a real shell, this host's directories as URIs, boolean capabilities", async () => {
    await using env = await makeEnvironment();
    const info = await env.host.info();
    expect(info.shell.path.endsWith(`/${info.shell.name}`)).toBe(true);
    accessSync(info.shell.path, constants.X_OK);
    expect(info).toMatchObject({
      cwd: toFileUri(process.cwd()),
      userHomeDir: toFileUri(homedir()),
      tempDir: toFileUri(tmpdir()),
      platformOs: process.platform === "darwin" ? "macos" : process.platform,
      prependPathDirs: [],
      temporaryDirectories: [],
    });
    expect(info.providerId).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const value of Object.values(info.capabilities)) expect(typeof value).toBe("boolean");
    if (env.client) {
      // What initialize said is what environment/info says.
      expect(await env.client.call("environment/info", null)).toEqual(info);
      expect(env.client.environmentInfo).toEqual(info);
    }
  });

  test("process/signal interrupts the group: a trap runs; other names are ours; none for the gone", async () => {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const trapped = shell("trap 'echo got-int; exit 7' INT; echo ready; while :; do sleep 0.01; done");
    await env.process.start(trapped);
    await waitFor(() => events.output(trapped.processId).includes("ready"), { label: "ready" });
    await env.process.signal(trapped.processId, "interrupt");
    await events.closed(trapped.processId);
    expect(events.output(trapped.processId)).toBe("ready\ngot-int\n");
    expect(events.exit(trapped.processId)).toMatchObject({ exitCode: 7 });
    // Exited or unknown: nothing happens, no error.
    await env.process.signal(trapped.processId, "kill");
    await env.process.signal("ghost", "interrupt");
    const sleeper = shell("sleep 30");
    await env.process.start(sleeper);
    await env.process.signal(sleeper.processId, "terminate");
    await events.closed(sleeper.processId);
    expect(events.exit(sleeper.processId)).toMatchObject({ exitCode: 143, signal: "SIGTERM" });
  });
});
