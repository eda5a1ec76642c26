// Guards the process sandbox (bubblewrap + seccomp) against the context a real 0.171 client sends
// in workspace-write mode, locally and through a server: writes outside the workspace and into
// .git are denied, the host's loopback is unreachable, the workspace is writable, PTYs work,
// terminate kills the whole sandboxed family. Needs bwrap: without it these tests fail, loudly.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Environment } from "../../src/environment.ts";
import { InvalidRequest } from "../../src/errors.ts";
import type { LocalProcess } from "../../src/process/local.ts";
import type { StartParams } from "../../src/process/types.ts";
import { BWRAP_VARIABLE, sandboxedPids, usableBwrap } from "../../src/sandbox/launch.ts";
import { ENVIRONMENTS, recorder } from "../support/environments.ts";
import { workspaceSandbox } from "../support/sandbox.ts";
import { tempDir } from "../support/tmp.ts";
import { waitFor } from "../support/wait.ts";

let counter = 0;
const work = tempDir("sandbox-work-");
const outside = tempDir("sandbox-outside-");
const sandbox = workspaceSandbox(work.path);
const start = (script: string, extra: Partial<StartParams> = {}): StartParams => ({
  processId: `s${++counter}`,
  // One stream: stdout and stderr of two pipes arrive in no fixed order.
  argv: ["/bin/bash", "-c", `exec 2>&1; ${script}`],
  cwd: work.path,
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  tty: false,
  pipeStdin: false,
  arg0: null,
  sandbox,
  ...extra,
});

beforeAll(() => {
  mkdirSync(join(work.path, ".git"));
  writeFileSync(join(work.path, ".git/config"), "[core]\n");
});
afterAll(() => {
  work[Symbol.dispose]();
  outside[Symbol.dispose]();
});

test("bubblewrap is installed and can create namespaces (install it: apt-get install bubblewrap)", () => {
  expect(usableBwrap()).toEndWith("bwrap");
});

describe.each(ENVIRONMENTS)("sandboxed process/start (%s)", (_name, makeEnvironment) => {
  async function run(options: StartParams) {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const result = await env.process.start(options);
    await events.closed(options.processId);
    const exit = events.exit(options.processId);
    return {
      result,
      output: events.output(options.processId),
      exitCode: exit?.type === "exited" ? exit.exitCode : null,
    };
  }

  test("a write outside the workspace is denied; the command goes on with its own exit code", async () => {
    const target = join(outside.path, "outside.txt");
    const { result, output, exitCode } = await run(start(`echo x > ${target}; echo rc=$?`));
    expect({ ...result }).toEqual({ processId: expect.any(String), sandboxType: "linuxSeccomp" });
    expect(output).toBe(`/bin/bash: line 1: ${target}: Read-only file system\nrc=1\n`);
    expect(exitCode).toBe(0);
    expect(existsSync(target)).toBe(false);
  });

  test("no capabilities inside: the command cannot remount / read-write to get out", async () => {
    const target = join(outside.path, "remounted.txt");
    const script = `grep CapEff /proc/self/status; mount -o remount,rw,bind / 2>/dev/null; echo rc=$?; echo x > ${target}`;
    const { output } = await run(start(script));
    expect(output).toBe(
      `CapEff:\t0000000000000000\nrc=32\n/bin/bash: line 1: ${target}: Read-only file system\n`,
    );
    expect(existsSync(target)).toBe(false);
  });

  test("without root read only the system directories and the workspace exist (symlinked /bin included)", async () => {
    const minimal = {
      ...sandbox,
      permissions: {
        type: "managed" as const,
        network: "restricted" as const,
        file_system: {
          type: "restricted" as const,
          entries: [
            {
              path: { type: "special" as const, value: { kind: "minimal" as const } },
              access: "read" as const,
            },
            {
              path: { type: "special" as const, value: { kind: "project_roots" as const } },
              access: "write" as const,
            },
          ],
        },
      },
    };
    const script = `test -e ${outside.path} || echo outside-hidden; test -e /root || echo root-hidden; /bin/sh -c "echo sh-ok"; echo hi > inside.txt && cat inside.txt`;
    const { output } = await run(start(script, { sandbox: minimal }));
    expect(output).toBe("outside-hidden\nroot-hidden\nsh-ok\nhi\n");
  });

  test("the workspace is writable", async () => {
    const { output } = await run(start("echo inside > inside.txt && cat inside.txt"));
    expect(output).toBe("inside\n");
    expect(readFileSync(join(work.path, "inside.txt"), "utf8")).toBe("inside\n");
  });

  test(".git stays read-only; a missing .codex is covered while the command runs, then removed", async () => {
    const { output } = await run(
      start("echo x >> .git/config; echo rc=$?; mkdir .codex/x; echo rc=$?; ls -A"),
    );
    expect(output).toBe(
      "/bin/bash: line 1: .git/config: Read-only file system\nrc=1\n" +
        "mkdir: cannot create directory '.codex/x': Read-only file system\nrc=1\n" +
        ".agents\n.aws\n.codex\n.git\ninside.txt\n",
    );
    expect(readFileSync(join(work.path, ".git/config"), "utf8")).toBe("[core]\n");
    expect(readdirSync(work.path).sort()).toEqual([".git", "inside.txt"]);
  });

  test("a TCP connect to a listener on the host's 127.0.0.1 is denied", async () => {
    let accepted = 0;
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          accepted++;
          socket.end("reached\n");
        },
        data() {},
      },
    });
    try {
      const script = `cat < /dev/tcp/127.0.0.1/${listener.port}; echo rc=$?`;
      const denied = await run(start(script));
      expect(denied.output).toBe(
        `/bin/bash: socket: Operation not permitted\n/bin/bash: line 1: /dev/tcp/127.0.0.1/${listener.port}: Operation not permitted\nrc=1\n`,
      );
      expect(accepted).toBe(0);
      // The same command unsandboxed reaches the listener: the test can tell the two apart.
      const open = await run(start(script, { sandbox: null }));
      expect(open.output).toBe("reached\nrc=0\n");
      expect(accepted).toBe(1);
    } finally {
      listener.stop(true);
    }
  });

  test("a sandboxed PTY is a terminal of 24x80 and its writes obey the sandbox", async () => {
    const target = join(outside.path, "pty.txt");
    const { output, exitCode } = await run(
      start(`tty -s && echo is-a-tty; stty size; echo x > ${target}`, { tty: true }),
    );
    expect(output.replaceAll("\r\n", "\n")).toBe(
      `is-a-tty\n24 80\n/bin/bash: line 1: ${target}: Read-only file system\n`,
    );
    expect(exitCode).toBe(1);
  });

  test("terminate kills the whole sandboxed family", async () => {
    await using env = await makeEnvironment();
    const events = recorder(env);
    const marker = `SANDBOX_FAMILY_${++counter}`;
    const options = start("sleep 60 & sleep 60 & echo started; wait", {
      env: { PATH: process.env.PATH ?? "", [marker]: "1" },
    });
    await env.process.start(options);
    await waitFor(() => events.output(options.processId) === "started\n", { label: "the family to start" });
    // Host pids of every process of the family (inside they have the sandbox's own pids).
    const family = () => hostPidsWith(`${marker}=1`);
    await waitFor(() => family().length >= 3, { label: "bash and two sleeps in /proc" });
    expect(await env.process.terminate(options.processId)).toEqual({ running: true });
    await waitFor(() => family().length === 0, { label: "every process of the family to be gone" });
    await events.closed(options.processId);
  });

  test("without a usable bwrap a restricting sandbox is refused, never run unsandboxed", async () => {
    // Before the environment: a server started as a program takes its environment at start.
    process.env[BWRAP_VARIABLE] = join(outside.path, "no-such-bwrap");
    await using env = await makeEnvironment();
    try {
      const target = join(outside.path, "unsandboxed.txt");
      const error = await env.process.start(start(`echo x > ${target}`)).catch((e) => e);
      expect(error).toBeInstanceOf(InvalidRequest);
      expect(error.message).toStartWith(
        `sandboxed commands need bubblewrap, and ${join(outside.path, "no-such-bwrap")} cannot`,
      );
      expect(existsSync(target)).toBe(false);
      // A sandbox that restricts nothing needs no bwrap.
      const disabled = start("true", { sandbox: { permissions: { type: "disabled" } } });
      expect({ ...(await env.process.start(disabled)) }).toEqual({
        processId: disabled.processId,
        sandboxType: "none",
      });
    } finally {
      delete process.env[BWRAP_VARIABLE];
    }
  });
});

/** Live, non-zombie host processes whose environment holds `entry`. */
function hostPidsWith(entry: string): number[] {
  const needle = Buffer.from(entry);
  return readdirSync("/proc").flatMap((name) => {
    const pid = Number(name);
    if (!Number.isInteger(pid)) return [];
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return [];
      return readFileSync(`/proc/${pid}/environ`).includes(needle) ? [pid] : [];
    } catch {
      return [];
    }
  });
}

test("a signal meant for the command reaches it inside the sandbox and its handler runs to the end", async () => {
  await using env = Environment.local();
  const events = recorder(env);
  const options = start('trap "echo got-int; exit 7" INT; echo ready; sleep 60 & wait');
  await env.process.start(options);
  await waitFor(() => events.output(options.processId) === "ready\n", { label: "the trap to be set" });
  const [leader] = (env.process as LocalProcess).livePids();
  if (leader === undefined) throw new Error("no live sandbox");
  // bash and its sleep, seen from the host; bwrap and the namespace's init are left out.
  const pids = await waitFor(() => sandboxedPids(leader).length === 2 && sandboxedPids(leader), {
    label: "bash and sleep inside the sandbox",
  });
  // The command first (the init's child), then its descendants. Only bash is signalled: a sleep
  // killed first could end bash's `wait` before bash takes its own signal.
  process.kill(pids[0] as number, "SIGINT");
  await events.closed(options.processId);
  expect(events.output(options.processId)).toBe("ready\ngot-int\n");
  expect(events.exit(options.processId)).toMatchObject({ exitCode: 7 });
});
