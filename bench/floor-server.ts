// The floor for the output workloads: a bare Bun websocket server doing only the work they time
// (pipe or terminal → base64 → one text frame per 32 KiB chunk), with none of the server's
// retention, output hold, sessions, schemas or logging. Not a server: it answers initialize,
// process/start, process/write and process/terminate enough for bench/workloads.ts's
// pipe-output, pty-output and pty-echo, and nothing else. What it costs is what Bun itself costs
// for the job; `bun run bench --kinds ours-bin,reference,floor` measures it like the others.
// `bun bench/floor-server.ts` prints its URL and serves until SIGTERM.
import type { ServerWebSocket, Subprocess } from "bun";

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
}

const children = new Map<string, Subprocess>();

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
    ws.sendText(JSON.stringify({ method: "process/exited", params: { processId, seq: ++seq, exitCode } }));
    ws.sendText(JSON.stringify({ method: "process/closed", params: { processId, seq: ++seq } }));
    children.delete(processId);
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
    children.set(processId, child);
    ws.sendText(JSON.stringify({ id, result: { processId } }));
    // The terminal's exit (its end of file) closes it; a run once waited for one that never came
    // (10 minutes, not reproduced in 6 more), so after the program's exit it waits 1 s at most.
    void child.exited.then(async () => {
      await Promise.race([ended.promise, Bun.sleep(1000)]);
      finish(child.exitCode ?? 137);
    });
    return;
  }
  const child = Bun.spawn(params.argv, { ...options, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  children.set(processId, child);
  ws.sendText(JSON.stringify({ id, result: { processId } }));
  void (async () => {
    const reader = child.stdout.getReader();
    for (;;) {
      while (ws.getBufferedAmount() > SEND_BUFFER_BYTES) {
        await new Promise<void>((resolve) => {
          ws.data.drained = resolve;
        });
      }
      const { value, done } = await reader.read();
      if (done) break;
      output("stdout", value);
    }
    await child.exited;
    finish(child.exitCode ?? 137);
  })();
}

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
      const child = children.get(params?.processId);
      if (method === "process/write") {
        child?.terminal?.write(Buffer.from(params.chunk, "base64"));
        return answer(ws, id, { status: child ? "accepted" : "unknownProcess" });
      }
      if (method === "process/terminate") {
        child?.kill("SIGKILL");
        return answer(ws, id, { running: child !== undefined });
      }
      ws.sendText(JSON.stringify({ id, error: { code: -32601, message: `not in the floor: ${method}` } }));
    },
  },
});
process.on("SIGTERM", () => process.exit(0));
console.log(`ws://127.0.0.1:${server.port}`);
