// Real pipes for a child's stdin, stdout and stderr (Linux, pipe2 through libc). Bun's "pipe" gives
// the child a socket pair, which programs can tell from a pipe (`[ -p /dev/stdout ]` is false, and
// some change how they buffer or behave); the reference's children get pipes. Bun reads and
// writes descriptors it is handed but never closes them: each end here is closed exactly once, by
// this file, after the spawn (the child's ends), at end of stream (a read end) or once stdin has
// been ended or broken (the write end).
import type { FileSink } from "bun";

const O_CLOEXEC = 0o2000000;
const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];

interface Libc {
  pipe2(fds: number, flags: number): number;
  close(fd: number): number;
}

let libc: Libc | null | undefined;
let toPointer: ((view: Int32Array) => number) | undefined;

/** The libc, loaded at the first spawn (a function of its own: the spawn's path stays small). */
function openLibc(): Libc | null {
  return libc !== undefined ? libc : loadLibc();
}

function loadLibc(): Libc | null {
  libc = null;
  if (process.platform !== "linux") return libc;
  const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
  toPointer = (view) => ptr(view) as unknown as number;
  for (const name of LIBC_NAMES) {
    try {
      const { symbols } = dlopen(name, {
        pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
        close: { args: [FFIType.i32], returns: FFIType.i32 },
      });
      libc = symbols as unknown as Libc;
      break;
    } catch {
      // Try the next name.
    }
  }
  return libc;
}

/** A pipe as [read end, write end], both close-on-exec (the spawn puts one on 0, 1 or 2). */
function pipe(c: Libc): [number, number] {
  const fds = new Int32Array(2);
  if (c.pipe2((toPointer as (view: Int32Array) => number)(fds), O_CLOEXEC) !== 0) {
    throw new Error("pipe2 failed");
  }
  return [fds[0] as number, fds[1] as number];
}

/** The program's stdin: bytes queue in a FileSink; end() ends it and releases the descriptor. */
export class StdinPipe {
  #isReleased = false;

  constructor(
    readonly sink: FileSink,
    readonly release: () => void,
  ) {}

  write(bytes: Uint8Array): void {
    this.sink.write(bytes);
  }

  flush(): number | Promise<number> {
    return this.sink.flush();
  }

  /** Flush what is queued, then close: the program reads end of file. */
  async end(): Promise<void> {
    if (this.#isReleased) return;
    this.#isReleased = true;
    try {
      await this.sink.end();
    } finally {
      this.release();
    }
  }
}

export interface ChildPipes {
  /** For Bun.spawn's stdio: the child's ends, as its 0, 1 and 2. */
  stdio: [number | "ignore", number, number];
  /** Call right after the spawn, whether it succeeded or not. */
  spawned(isSpawned: boolean): void;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  /** Release a read end once its stream has ended. */
  releaseOutput(stream: "stdout" | "stderr"): void;
  stdin: StdinPipe | null;
}

/** Pipes for one child, or null where there is no libc to make them (Bun's own are used then). */
export function openPipes(pipeStdin: boolean): ChildPipes | null {
  const c = openLibc();
  if (!c) return null;
  const closeOnce = (fd: number) => {
    let isOpen = true;
    return () => {
      if (isOpen) c.close(fd);
      isOpen = false;
    };
  };
  const opened: number[] = [];
  try {
    const [outRead, outWrite] = pipe(c);
    opened.push(outRead, outWrite);
    const [errRead, errWrite] = pipe(c);
    opened.push(errRead, errWrite);
    const [inRead, inWrite] = pipeStdin ? pipe(c) : [-1, -1];
    if (pipeStdin) opened.push(inRead, inWrite);
    const release = { stdout: closeOnce(outRead), stderr: closeOnce(errRead), stdin: closeOnce(inWrite) };
    return {
      stdio: [pipeStdin ? inRead : "ignore", outWrite, errWrite],
      spawned(isSpawned) {
        // The child has its own copies of its ends; ours must go, or the output never ends.
        for (const fd of [outWrite, errWrite, inRead]) if (fd >= 0) c.close(fd);
        if (isSpawned) return;
        release.stdout();
        release.stderr();
        release.stdin();
      },
      stdout: Bun.file(outRead).stream(),
      stderr: Bun.file(errRead).stream(),
      releaseOutput: (stream) => release[stream](),
      stdin: pipeStdin ? new StdinPipe(Bun.file(inWrite).writer(), release.stdin) : null,
    };
  } catch (error) {
    for (const fd of opened) c.close(fd);
    throw error;
  }
}
