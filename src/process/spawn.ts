// Bun.spawn for both kinds of child. Each child leads its own session and process group (setsid),
// so a kill of -pid reaches every descendant that did not leave the group on purpose.
import type { FileSink, Subprocess } from "bun";
import { InternalError } from "../errors.ts";
import { osErrorText } from "../os-error.ts";
import type { OutputStream } from "../protocol/process.ts";
import { type SandboxLaunch, sandboxLaunch } from "../sandbox/launch.ts";
import type { ProgramCgroup, ProgramCgroups } from "./cgroup.ts";
import { childEnvironment } from "./env.ts";
import { openPipes, StdinPipe } from "./pipes.ts";
import type { StartParams } from "./types.ts";

export interface SpawnCallbacks {
  onOutput(stream: OutputStream, bytes: Uint8Array): void;
  onStreamEnd(): void;
  /** A PTY's terminal has written all the input queued for it (Bun's Terminal `drain`). */
  onInputDrained(): void;
  /** Before each pipe read: a promise to wait for while the reader of the output is behind. */
  beforeRead(): Promise<void> | undefined;
}

/** Pids Bun spawned and has not yet seen exit: Bun reaps these itself. */
const spawnedPids = new Set<number>();

/** A cgroup per program, when the server made them possible (process-wide: the CLI does). */
let programCgroups: ProgramCgroups | null = null;

export function useProgramCgroups(groups: ProgramCgroups | null): void {
  programCgroups = groups;
}

export function isSpawnedChild(pid: number): boolean {
  return spawnedPids.has(pid);
}

export interface Spawned {
  subprocess: Subprocess;
  stdin: StdinPipe | null;
  /** How many output streams will each call onStreamEnd once. */
  streamCount: number;
  /** What confined the program: `none`, or the sandbox it runs in (see sandbox/launch.ts). */
  sandboxType: string;
  /** The program's own cgroup, which it and every descendant are born in (see cgroup.ts). */
  cgroup: ProgramCgroup | null;
}

/** What a spawn gives before the cgroup it was made in is known. */
type SpawnedProgram = Omit<Spawned, "cgroup">;

const DEFAULT_SIZE = { rows: 24, cols: 80 };

/** Look a bare program name up in the child's PATH (the server's when the child has none). */
function resolveProgram(program: string, env: Record<string, string>, cwd: string): string {
  if (program.includes("/")) return program;
  const found = Bun.which(program, { PATH: env.PATH ?? process.env.PATH ?? "", cwd });
  if (!found) throw new InternalError(osErrorText({ code: "ENOENT" }));
  return found;
}

/** Spawn a program, in a cgroup of its own where the server can make one. */
export function spawnChild(options: StartParams, callbacks: SpawnCallbacks): Spawned {
  const spawn = () => spawnProgram(options, callbacks);
  const { value, group } = programCgroups?.spawnInto(spawn) ?? { value: spawn(), group: null };
  const spawned = { ...value, cgroup: group };
  const { pid } = spawned.subprocess;
  spawnedPids.add(pid);
  spawned.subprocess.exited.finally(() => spawnedPids.delete(pid));
  return spawned;
}

function spawnProgram(options: StartParams, callbacks: SpawnCallbacks): SpawnedProgram {
  const { argv } = options;
  const program = argv[0];
  if (program === undefined) throw new InternalError("argv must not be empty");
  const env = childEnvironment(options.env, options.envPolicy);
  let resolved: string;
  try {
    resolved = resolveProgram(program, env, options.cwd);
  } catch (error) {
    throw error instanceof InternalError ? error : new InternalError(osErrorText(error), { cause: error });
  }
  // The argv with its program resolved (a copy: the params' own array is left as it came).
  const command = argv.with(0, resolved);
  // Outside the try: a sandbox that cannot be applied is a -32600 of its own, never a spawn error.
  const sandbox = sandboxLaunch(options.sandbox, { argv: command, cwd: options.cwd, env });
  try {
    const spawned = spawnResolved(options, env, command, program, sandbox, callbacks);
    if (sandbox) spawned.subprocess.exited.finally(() => sandbox.release());
    return spawned;
  } catch (error) {
    sandbox?.release();
    throw error;
  } finally {
    sandbox?.afterSpawn();
  }
}

function spawnResolved(
  options: StartParams,
  env: Record<string, string>,
  command: string[],
  program: string,
  sandbox: SandboxLaunch | null,
  callbacks: SpawnCallbacks,
): SpawnedProgram {
  // Inside bwrap argv0 would name bwrap itself (its --argv0 is newer than most distributions' bwrap).
  const base = { cwd: options.cwd, env, argv0: sandbox ? undefined : (options.arg0 ?? program) };
  const cmd = sandbox ? sandbox.argv : command;
  const extraFds = sandbox?.extraFds ?? [];
  const sandboxType = sandbox?.sandboxType ?? "none";
  try {
    if (options.tty) {
      const size = options.size ?? DEFAULT_SIZE;
      const subprocess = Bun.spawn(cmd, {
        ...base,
        // The terminal replaces 0-2; the entries after them reach the child as 3, 4, ...
        ...(extraFds.length > 0 ? { stdio: ["ignore", "ignore", "ignore", ...extraFds] } : {}),
        terminal: {
          rows: size.rows,
          cols: size.cols,
          data: (_terminal, bytes) => callbacks.onOutput("pty", bytes),
          exit: () => callbacks.onStreamEnd(),
          drain: () => callbacks.onInputDrained(),
        },
      });
      return { subprocess, stdin: null, streamCount: 1, sandboxType };
    }
    const pipes = openPipes(options.pipeStdin === true);
    if (pipes) {
      let subprocess: Subprocess;
      try {
        subprocess = Bun.spawn(cmd, { ...base, detached: true, stdio: [...pipes.stdio, ...extraFds] });
      } catch (error) {
        pipes.spawned(false);
        throw error;
      }
      pipes.spawned(true);
      pump(pipes.stdout, "stdout", callbacks, () => pipes.releaseOutput("stdout"));
      pump(pipes.stderr, "stderr", callbacks, () => pipes.releaseOutput("stderr"));
      return { subprocess, stdin: pipes.stdin, streamCount: 2, sandboxType };
    }
    // No libc to make pipes with: Bun's own (socket pairs).
    const subprocess = Bun.spawn(cmd, {
      ...base,
      detached: true,
      stdio: [options.pipeStdin ? "pipe" : "ignore", "pipe", "pipe", ...extraFds],
    });
    pump(subprocess.stdout, "stdout", callbacks);
    pump(subprocess.stderr, "stderr", callbacks);
    const sink = options.pipeStdin ? (subprocess.stdin as FileSink | undefined) : undefined;
    return {
      subprocess: subprocess as Subprocess,
      stdin: sink ? new StdinPipe(sink, () => {}) : null,
      streamCount: 2,
      sandboxType,
    };
  } catch (error) {
    if (error instanceof InternalError) throw error;
    throw new InternalError(osErrorText(error), { cause: error });
  }
}

/** Read a pipe to its end. Waiting in beforeRead() leaves the data in the pipe: the program blocks. */
async function pump(
  stream: ReadableStream<Uint8Array>,
  name: OutputStream,
  callbacks: SpawnCallbacks,
  release = () => {},
) {
  const reader = stream.getReader();
  try {
    for (;;) {
      // Every gate is asked again after a wait: another may have closed meanwhile.
      for (let wait = callbacks.beforeRead(); wait; wait = callbacks.beforeRead()) await wait;
      const { value, done } = await reader.read();
      if (done) break;
      callbacks.onOutput(name, value);
    }
  } catch {
    // A read error ends the stream like EOF does.
  } finally {
    reader.releaseLock();
    release();
    callbacks.onStreamEnd();
  }
}
