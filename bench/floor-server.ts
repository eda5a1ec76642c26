// The floor: a bare Bun websocket server doing only the work the process workloads time, with
// none of the server's schemas, sessions, retention, output hold or logging. It answers
// initialize, process/start (real pipes, or a terminal), process/write and process/terminate,
// sends output as one text frame per 32 KiB chunk (pipes wait while the send buffer is past the
// server's default, as ours do), then exited after the pipes end, then closed. For the fs
// workload it answers fs/readFile (the file read whole, base64 in one template, one frame),
// fs/writeFile (base64 decoded, written), fs/getMetadata (lstat, stat for a link: the fields ours
// answers) and fs/readDirectory (readdir with file types, a link's target stat'd), all with
// node:fs's synchronous calls, as a plain server of small local files would; plain paths only (the
// bench speaks file:// URIs to ref-0.171 alone). What it spends is Bun's (spawn, pipes, terminal,
// websocket, files) and the kernel's; what ours spends above it is ours to cut.
// `bun run bench --kinds ours-bin,reference,floor` runs it like a server (bench/servers.ts);
// `bun bench/floor-server.ts` prints its URL and serves until SIGINT/SIGTERM. Not a server to use:
// no checks, no limits.
import { lstatSync, readdirSync, readFileSync, type Stats, statSync, writeFileSync } from "node:fs";
import type { ServerWebSocket, Subprocess } from "bun";
import { openPipes, type StdinPipe } from "../src/process/pipes.ts";

const CHUNK_BYTES = 32 * 1024;
/** Pipes wait while this much is unsent, as the server's default send buffer. */
const SEND_BUFFER_BYTES = 4 * 1024 * 1024;

interface Socket {
  drained?: () => void;
}

interface StartParams {
  processId: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  tty: boolean;
  pipeStdin?: boolean;
}

interface Started {
  child: Subprocess;
  stdin: StdinPipe | null;
}

const processes = new Map<string, Started>();

function start(ws: ServerWebSocket<Socket>, id: number, params: StartParams): void {
  const { processId } = params;
  const idText = JSON.stringify(processId);
  let seq = 0;
  const output = (stream: string, bytes: Uint8Array) => {
    for (let at = 0; at < bytes.byteLength; at += CHUNK_BYTES) {
      const chunk = bytes.subarray(at, at + CHUNK_BYTES).toBase64();
      ws.sendText(
        `{"method":"process/output","params":{"processId":${idText},"seq":${++seq},"stream":"${stream}","chunk":"${chunk}"}}`,
      );
    }
  };
  const finish = (exitCode: number) => {
    ws.sendText(
      JSON.stringify({
        method: "process/exited",
        params: { processId, seq: ++seq, exitCode, sandboxDenied: false },
      }),
    );
    ws.sendText(JSON.stringify({ method: "process/closed", params: { processId, seq: ++seq } }));
    void processes.get(processId)?.stdin?.end();
    processes.delete(processId);
  };
  const options = { cwd: params.cwd, env: params.env };
  if (params.tty) {
    const ended = Promise.withResolvers<void>();
    const child = Bun.spawn(params.argv, {
      ...options,
      terminal: {
        rows: 24,
        cols: 80,
        data: (_t, bytes) => output("pty", bytes),
        exit: () => ended.resolve(),
      },
    });
    processes.set(processId, { child, stdin: null });
    ws.sendText(JSON.stringify({ id, result: { processId, sandboxType: "none" } }));
    // The terminal's end of file closes it; a run once waited for one that never came, so after
    // the program's exit it waits 1 s at most.
    void child.exited.then(async () => {
      await Promise.race([ended.promise, Bun.sleep(1000)]);
      finish(child.exitCode ?? 137);
    });
    return;
  }
  const pipes = openPipes(params.pipeStdin === true);
  if (!pipes) throw new Error("no libc for pipes");
  const child = Bun.spawn(params.argv, { ...options, detached: true, stdio: pipes.stdio });
  pipes.spawned(true);
  processes.set(processId, { child, stdin: pipes.stdin });
  ws.sendText(JSON.stringify({ id, result: { processId, sandboxType: "none" } }));
  const pump = async (stream: "stdout" | "stderr") => {
    const reader = pipes[stream].getReader();
    for (;;) {
      while (ws.getBufferedAmount() > SEND_BUFFER_BYTES) {
        await new Promise<void>((resolve) => {
          ws.data.drained = resolve;
        });
      }
      const { value, done } = await reader.read();
      if (done) break;
      output(stream, value);
    }
    reader.releaseLock();
    pipes.releaseOutput(stream);
  };
  const ended = Promise.all([pump("stdout"), pump("stderr")]);
  void child.exited.then(async (exitCode) => {
    await ended;
    finish(exitCode);
  });
}

/** The fs workload's calls: each answers its result, or throws (answered as an error). */
const FS: Record<
  string,
  (ws: ServerWebSocket<Socket>, id: number, params: { path: string; dataBase64?: string }) => void
> = {
  "fs/readFile": (ws, id, { path }) =>
    ws.sendText(`{"id":${JSON.stringify(id)},"result":{"dataBase64":"${readFileSync(path).toBase64()}"}}`),
  "fs/writeFile": (ws, id, { path, dataBase64 }) => {
    writeFileSync(path, Buffer.from(dataBase64 as string, "base64"));
    answer(ws, id, {});
  },
  "fs/getMetadata": (ws, id, { path }) => {
    const link = lstatSync(path);
    const info: Stats = link.isSymbolicLink() ? statSync(path) : link;
    answer(ws, id, {
      isDirectory: info.isDirectory(),
      isFile: info.isFile(),
      isSymlink: link.isSymbolicLink(),
      size: info.size,
      createdAtMs: Math.floor(info.birthtimeMs),
      modifiedAtMs: Math.floor(info.mtimeMs),
    });
  },
  "fs/readDirectory": (ws, id, { path }) => {
    const entries = [];
    for (const dirent of readdirSync(path, { withFileTypes: true })) {
      // A dangling link has no type and is left out, as ours does.
      const info = dirent.isSymbolicLink()
        ? statSync(`${path}/${dirent.name}`, { throwIfNoEntry: false })
        : dirent;
      if (info)
        entries.push({ fileName: dirent.name, isDirectory: info.isDirectory(), isFile: info.isFile() });
    }
    answer(ws, id, { entries });
  },
};

function answer(ws: ServerWebSocket<Socket>, id: number, result: unknown): void {
  ws.sendText(JSON.stringify({ id, result }));
}

const server = Bun.serve<Socket>({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server) {
    return server.upgrade(request, { data: {} })
      ? undefined
      : new Response("websocket only\n", { status: 426 });
  },
  websocket: {
    perMessageDeflate: false,
    idleTimeout: 0,
    sendPings: false,
    drain(ws) {
      ws.data.drained?.();
    },
    message(ws, data) {
      const message = JSON.parse(String(data));
      if (message.id === undefined) return;
      const { id, method, params } = message;
      if (method === "initialize") return answer(ws, id, { sessionId: "floor" });
      if (method === "process/start") return start(ws, id, params);
      const fs = FS[method];
      if (fs) {
        try {
          return fs(ws, id, params);
        } catch (error) {
          ws.sendText(JSON.stringify({ id, error: { code: -32603, message: String(error) } }));
          return;
        }
      }
      const started = processes.get(params?.processId);
      if (method === "process/write") {
        const bytes = Buffer.from(params.chunk, "base64");
        if (started?.child.terminal) started.child.terminal.write(bytes);
        else {
          started?.stdin?.write(bytes);
          started?.stdin?.flush();
        }
        return answer(ws, id, { status: started ? "accepted" : "unknownProcess" });
      }
      if (method === "process/terminate") {
        if (started) {
          try {
            process.kill(started.child.terminal ? started.child.pid : -started.child.pid, "SIGKILL");
          } catch {
            // Gone already.
          }
        }
        return answer(ws, id, { running: started !== undefined });
      }
      ws.sendText(JSON.stringify({ id, error: { code: -32601, message: `not in the floor: ${method}` } }));
    },
  },
});
console.log(`ws://127.0.0.1:${server.port}`);
// Exits on SIGINT/SIGTERM through process.exit, so a --cpu-prof run writes its profile.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
