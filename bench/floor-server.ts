// The floor for the process workloads: a bare Bun websocket server doing only what they need
// (initialize, process/start with real pipes, process/write, process/terminate; output, exited
// after the pipes end, closed), with no schemas, sessions, retention or flow control. What ours
// spends above it is ours to cut; what it spends is Bun's (spawn, pipes, websocket) and the
// kernel's. `bun run bench --kinds ours-bin,floor` runs it like a server (bench/servers.ts).
// Not a server to use: no checks, no limits.
import type { ServerWebSocket } from "bun";
import { openPipes, type StdinPipe } from "../src/process/pipes.ts";

interface Started {
  stdin: StdinPipe | null;
  pid: number;
}

const processes = new Map<string, Started>();

function notify(ws: ServerWebSocket<unknown>, method: string, params: object): void {
  ws.send(JSON.stringify({ method, params }));
}

async function pump(
  ws: ServerWebSocket<unknown>,
  processId: string,
  stream: ReadableStream<Uint8Array>,
  name: string,
  nextSeq: () => number,
): Promise<void> {
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const chunk = Buffer.from(value).toString("base64");
    notify(ws, "process/output", { processId, seq: nextSeq(), stream: name, chunk });
  }
  reader.releaseLock();
}

function start(ws: ServerWebSocket<unknown>, params: Record<string, unknown>): object {
  const processId = params.processId as string;
  const argv = params.argv as string[];
  const pipes = openPipes(params.pipeStdin === true);
  if (!pipes) throw new Error("no libc for pipes");
  const child = Bun.spawn(argv, {
    cwd: params.cwd as string,
    env: params.env as Record<string, string>,
    detached: true,
    stdio: pipes.stdio,
  });
  pipes.spawned(true);
  let seq = 1;
  const nextSeq = () => seq++;
  processes.set(processId, { stdin: pipes.stdin, pid: child.pid });
  const ended = Promise.all([
    pump(ws, processId, pipes.stdout, "stdout", nextSeq).then(() => pipes.releaseOutput("stdout")),
    pump(ws, processId, pipes.stderr, "stderr", nextSeq).then(() => pipes.releaseOutput("stderr")),
  ]);
  void child.exited.then(async (exitCode) => {
    await ended;
    notify(ws, "process/exited", { processId, seq: nextSeq(), exitCode, sandboxDenied: false });
    notify(ws, "process/closed", { processId, seq: nextSeq() });
    void processes.get(processId)?.stdin?.end();
    processes.delete(processId);
  });
  return { processId, sandboxType: "none" };
}

function handle(ws: ServerWebSocket<unknown>, method: string, params: Record<string, unknown>): object {
  switch (method) {
    case "initialize":
      return { sessionId: "floor" };
    case "process/start":
      return start(ws, params);
    case "process/write": {
      const stdin = processes.get(params.processId as string)?.stdin;
      stdin?.write(Buffer.from(params.chunk as string, "base64"));
      stdin?.flush();
      return { status: "accepted" };
    }
    case "process/terminate": {
      const started = processes.get(params.processId as string);
      if (started) process.kill(-started.pid, "SIGKILL");
      return { running: started !== undefined };
    }
    default:
      throw new Error(`unknown method ${method}`);
  }
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server) {
    return server.upgrade(request) ? undefined : new Response("websocket only", { status: 400 });
  },
  websocket: {
    perMessageDeflate: false,
    message(ws, data) {
      const message = JSON.parse(String(data));
      if (message.id === undefined) return;
      try {
        ws.send(JSON.stringify({ id: message.id, result: handle(ws, message.method, message.params ?? {}) }));
      } catch (error) {
        ws.send(JSON.stringify({ id: message.id, error: { code: -32603, message: String(error) } }));
      }
    },
  },
});
console.log(`ws://127.0.0.1:${server.port}`);
// Exits on SIGINT/SIGTERM through process.exit, so a --cpu-prof run writes its profile.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
