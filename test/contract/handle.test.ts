// Guards the process handle API on every Environment: start() gives a handle with its own events
// and controls, run() collects output and exit, ids and defaults are made, and close() leaves
// nothing running.
import { describe, expect, test } from "bun:test";
import { TransportClosed } from "../../src/errors.ts";
import type { ProcessEvent } from "../../src/process/types.ts";
import { ENVIRONMENTS } from "../support/environments.ts";
import { isAlive, waitFor } from "../support/wait.ts";

const sh = (script: string) => ["/bin/sh", "-c", script];

describe.each(ENVIRONMENTS)("process handles (%s)", (_name, makeEnvironment) => {
  test("start gives a handle: an id is made, its events come in order, closed gives the exit", async () => {
    await using env = await makeEnvironment();
    const p = await env.process.start({ argv: sh("echo out; echo err >&2; exit 3") });
    expect(p.processId).toMatch(/^p-[0-9a-z]{12}$/);
    expect(p.sandboxType).toBe("none");
    const events: ProcessEvent[] = [];
    for await (const event of p.events) events.push(event);
    expect(events.map((e) => e.type)).toEqual(["output", "output", "exited", "closed"]);
    expect(events.every((e) => e.processId === p.processId)).toBe(true);
    expect(await p.closed).toEqual({ exitCode: 3, signal: null });
    expect(() => p.events).toThrow("already being iterated");
  });

  test("run collects stdout and stderr as text, with the host's environment and cwd by default", async () => {
    await using env = await makeEnvironment();
    const result = await env.process.run({ argv: ["sh", "-c", "pwd; echo $HOME; printf 'é' >&2"] });
    expect(result).toEqual({
      stdout: `${process.cwd()}\n${process.env.HOME}\n`,
      stderr: "é",
      exitCode: 0,
      signal: null,
    });
    // An explicit env is exactly the environment: the server adds nothing of its own.
    const { stdout } = await env.process.run({ argv: ["/usr/bin/env"], env: { ONLY: "1" } });
    expect(stdout.split("\n")).toEqual(["ONLY=1", ""]);
  });

  test("write, closeStdin, signal, resize and terminate act on the handle's process", async () => {
    await using env = await makeEnvironment();
    const cat = await env.process.start({ argv: ["cat"], pipeStdin: true });
    expect(await cat.write("typed ")).toBe("accepted");
    expect(await cat.write(new TextEncoder().encode("bytes"))).toBe("accepted");
    await cat.closeStdin();
    expect(await cat.output()).toEqual({ stdout: "typed bytes", stderr: "", exitCode: 0, signal: null });

    const trap = await env.process.start({
      argv: sh("trap 'echo int; exit 5' INT; echo ready; while :; do sleep 0.01; done"),
    });
    const events = trap.events[Symbol.asyncIterator]();
    expect((await events.next()).value).toMatchObject({ type: "output" });
    await trap.signal("interrupt");
    expect(await trap.closed).toEqual({ exitCode: 5, signal: null });

    const tty = await env.process.start({ argv: sh("read x; stty size"), tty: true });
    await tty.resize({ rows: 30, cols: 100 });
    await tty.write("go\n");
    const { stdout } = await tty.output();
    expect(stdout).toContain("30 100");

    const sleeper = await env.process.start({ argv: ["sleep", "30"] });
    expect(await sleeper.terminate()).toBe(true);
    expect(await sleeper.closed).toEqual({ exitCode: 137, signal: "SIGKILL" });
    expect(await sleeper.terminate()).toBe(false);
  });

  test("close leaves nothing running that was started here", async () => {
    const env = await makeEnvironment();
    const p = await env.process.start({ argv: sh("echo $$; exec sleep 30") });
    const events = p.events[Symbol.asyncIterator]();
    const first = (await events.next()).value as ProcessEvent;
    const pid = Number(first.type === "output" ? Buffer.from(first.chunk.bytes).toString().trim() : NaN);
    expect(isAlive(pid)).toBe(true);
    await env.close();
    await waitFor(() => !isAlive(pid), { label: `the program ${pid} to be gone after close` });
    // It ended as a process ends, not as a lost connection.
    expect(await p.closed).toEqual({ exitCode: 137, signal: "SIGKILL" });
  });

  test("a handle whose connection is lost for good ends with a transport error, not never", async () => {
    await using env = await makeEnvironment();
    if (!env.client) return expect(env.isRemote).toBe(false);
    const p = await env.process.start({ argv: ["sleep", "30"] });
    await env.client.close();
    await expect(p.closed).rejects.toBeInstanceOf(TransportClosed);
  });
});
