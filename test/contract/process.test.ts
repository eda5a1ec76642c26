// Guards the ExecProcess contract: every scenario runs against Environment.local() and
// Environment.remote(url), expecting the same results and the same error classes.
import { describe, expect, test } from "bun:test";
import { InternalError, InvalidParams, InvalidRequest } from "../../src/errors.ts";
import { ENVIRONMENTS, recorder, shell } from "../support/environments.ts";
import { isAlive, waitFor } from "../support/wait.ts";

const text = (s: string) => new TextEncoder().encode(s);

describe.each(ENVIRONMENTS)("ExecProcess (%s)", (_name, makeEnvironment) => {
  test("events come in seq order: output, exit, close", async () => {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const options = shell("echo out; echo err >&2; exit 4");
    expect({ ...(await env.process.start(options)) }).toEqual({
      processId: options.processId,
      sandboxType: "none",
    });
    await events.closed(options.processId);
    const seen = events.of(options.processId);
    expect(seen.map((e) => (e.type === "output" ? e.chunk.seq : e.seq))).toEqual([1, 2, 3, 4]);
    expect(events.output(options.processId, "stdout")).toBe("out\n");
    expect(events.output(options.processId, "stderr")).toBe("err\n");
    expect(events.exit(options.processId)).toMatchObject({ type: "exited", exitCode: 4 });
  });

  test("read returns retained output and state", async () => {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const options = shell("printf hello");
    await env.process.start(options);
    await events.closed(options.processId);
    const result = await env.process.read({ processId: options.processId, afterSeq: 0 });
    expect(result.chunks.map((c) => [c.seq, c.stream, Buffer.from(c.bytes).toString()])).toEqual([
      [1, "stdout", "hello"],
    ]);
    expect(result).toMatchObject({ nextSeq: 2, exited: true, exitCode: 0, closed: true, failure: null });
  });

  test("write to stdin, and the statuses for other cases", async () => {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const options = shell("read a; echo got-$a", { pipeStdin: true });
    await env.process.start(options);
    expect(await env.process.write(options.processId, text("x\n"))).toBe("accepted");
    await events.closed(options.processId);
    expect(events.output(options.processId)).toBe("got-x\n");
    expect(await env.process.write("ghost", text("x"))).toBe("unknownProcess");
    const closedStdin = shell("sleep 5");
    await env.process.start(closedStdin);
    expect(await env.process.write(closedStdin.processId, text("x"))).toBe("stdinClosed");
    expect(await env.process.terminate(closedStdin.processId)).toEqual({ running: true });
  });

  test("PTY echoes input", async () => {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const options = shell("read a; echo got-$a", { tty: true });
    await env.process.start(options);
    await env.process.write(options.processId, text("y\n"));
    await events.closed(options.processId);
    expect(events.output(options.processId, "pty")).toBe("y\r\ngot-y\r\n");
  });

  test("terminate kills the group; exited processes report running false", async () => {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const options = shell("sleep 30 & echo $!; wait");
    await env.process.start(options);
    const pid = Number(
      await waitFor(() => events.output(options.processId).match(/^(\d+)\n/)?.[1], { label: "pid" }),
    );
    expect(await env.process.terminate(options.processId)).toEqual({ running: true });
    await events.closed(options.processId);
    await waitFor(() => !isAlive(pid), { label: "grandchild to die" });
    expect(events.exit(options.processId)).toMatchObject({ exitCode: 137 });
    expect(await env.process.terminate(options.processId)).toEqual({ running: false });
    expect(await env.process.terminate("ghost")).toEqual({ running: false });
  });

  test("errors have the same classes locally and remotely", async () => {
    await using env = await makeEnvironment();
    const sleeping = shell("sleep 5");
    await env.process.start(sleeping);
    await expect(env.process.start(sleeping)).rejects.toBeInstanceOf(InvalidRequest);
    await expect(env.process.start(sleeping)).rejects.toThrow(`process ${sleeping.processId} already exists`);
    await expect(env.process.read({ processId: "ghost" })).rejects.toThrow("unknown process id ghost");
    await expect(env.process.read({ processId: "ghost" })).rejects.toBeInstanceOf(InvalidRequest);
    await expect(env.process.start({ ...shell(""), argv: [] })).rejects.toBeInstanceOf(InvalidParams);
    await expect(env.process.start(shell("true", { cwd: "/no/such/dir" }))).rejects.toBeInstanceOf(
      InternalError,
    );
    await env.process.terminate(sleeping.processId);
  });

  test("a long poll waits for output", async () => {
    await using env = await makeEnvironment();
    const options = shell("read a; echo $a", { pipeStdin: true });
    await env.process.start(options);
    const poll = env.process.read({ processId: options.processId, afterSeq: 0, waitMs: 10_000 });
    await env.process.write(options.processId, text("late\n"));
    const result = await poll;
    expect(Buffer.from(result.chunks[0]?.bytes ?? []).toString()).toBe("late\n");
  });
});

describe.each(ENVIRONMENTS)("closeStdin [ext] (%s)", (_name, makeEnvironment) => {
  test("a pipe's stdin ends, later writes report stdinClosed", async () => {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const options = shell("cat; echo end", { pipeStdin: true });
    await env.process.start(options);
    await env.process.write(options.processId, text("data\n"));
    expect(await env.process.closeStdin(options.processId)).toBe("accepted");
    await events.closed(options.processId);
    expect(events.output(options.processId)).toBe("data\nend\n");
    expect(await env.process.write(options.processId, text("late"))).toBe("stdinClosed");
    expect(await env.process.closeStdin(options.processId)).toBe("stdinClosed");
    expect(await env.process.closeStdin("ghost")).toBe("unknownProcess");
  });

  test("a PTY gets end-of-file", async () => {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const options = shell("cat; echo end", { tty: true });
    await env.process.start(options);
    await env.process.write(options.processId, text("abc\n"));
    await env.process.closeStdin(options.processId);
    await events.closed(options.processId);
    expect(events.output(options.processId)).toBe("abc\r\nabc\r\nend\r\n");
  });
});
