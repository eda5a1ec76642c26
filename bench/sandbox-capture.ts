// Capture the sandbox context a real Codex client sends, and what a server answers, frame by frame.
// `bun bench/sandbox-capture.ts --client <codex> --server <codex>|ours [--out frames.jsonl]`
// A fake Responses-API model on 127.0.0.1 asks Codex (`codex exec -s workspace-write`) for a shell
// write inside the workspace, one outside it, a TCP connect to a listener on 127.0.0.1, a write to
// .git/config and an apply_patch; a logging websocket proxy between Codex and the server records
// every frame. The model's view of each tool result is printed. Never run in CI.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { firstLine } from "./servers.ts";

const { values } = parseArgs({
  options: {
    client: { type: "string" },
    server: { type: "string", default: "ours" },
    out: { type: "string" },
    mode: { type: "string", default: "workspace-write" },
    // Until the server speaks the 0.169+ dialect: file:// URIs become plain paths on the way in,
    // and fs/getMetadata results get the `size` a 0.171 client requires.
    shim: { type: "boolean", default: false },
  },
});
if (!values.client) throw new Error("--client <path to a codex binary> is required");

type Item = Record<string, unknown>;
const ROOT = new URL("..", import.meta.url).pathname;

function startListener() {
  return Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.end("listener-reached\n");
      },
      data() {},
    },
  });
}

/** The fake model: one tool call per turn, in order, then "done". */
function startModel(calls: Item[]) {
  const outputs: string[] = [];
  let turn = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (!new URL(request.url).pathname.endsWith("/responses")) return new Response("{}", { status: 404 });
      const body = (await request.json()) as { input?: Item[] };
      const results = (body.input ?? []).filter(
        (item) => item.type === "function_call_output" || item.type === "custom_tool_call_output",
      );
      if (results.length > outputs.length) outputs.push(String(results.at(-1)?.output));
      const id = `resp_${++turn}`;
      const next = calls[results.length];
      const item: Item = next ?? {
        type: "message",
        id: `msg_${turn}`,
        role: "assistant",
        content: [{ type: "output_text", text: "done" }],
      };
      const usage = { input_tokens: 1, output_tokens: 1, total_tokens: 2 };
      const events = [
        { type: "response.created", response: { id } },
        { type: "response.output_item.added", output_index: 0, item },
        { type: "response.output_item.done", output_index: 0, item },
        { type: "response.completed", response: { id, usage } },
      ];
      const sse = events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      return new Response(sse.join(""), { headers: { "content-type": "text/event-stream" } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, outputs, stop: () => server.stop(true) };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const plainPaths = (value: Json): Json => {
  if (typeof value === "string")
    return value.startsWith("file://") ? decodeURIComponent(new URL(value).pathname) : value;
  if (Array.isArray(value)) return value.map(plainPaths);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainPaths(v)]));
  return value;
};
const metadataPaths = new Map<unknown, string>();

/** The client's frame as the server gets it (see --shim). */
function toServer(text: string): string {
  if (!values.shim) return text;
  const frame = plainPaths(JSON.parse(text)) as { id?: unknown; method?: string; params?: { path?: string } };
  if (frame.method === "fs/getMetadata" && frame.params?.path) metadataPaths.set(frame.id, frame.params.path);
  return JSON.stringify(frame);
}

function toClient(text: string): string {
  if (!values.shim) return text;
  const frame = JSON.parse(text) as { id?: unknown; result?: Record<string, unknown> };
  const path = metadataPaths.get(frame.id);
  if (path === undefined || !frame.result || "size" in frame.result) return text;
  metadataPaths.delete(frame.id);
  return JSON.stringify({ ...frame, result: { ...frame.result, size: statSync(path).size } });
}

/** A websocket proxy that records every text frame with its direction. */
function startProxy(upstreamUrl: string, frames: { dir: string; frame: unknown }[]) {
  type Data = { upstream?: WebSocket; queue: string[] };
  const server = Bun.serve<Data>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      return srv.upgrade(request, { data: { queue: [] } }) ? undefined : new Response("no", { status: 400 });
    },
    websocket: {
      perMessageDeflate: false,
      open(ws) {
        const upstream = new WebSocket(upstreamUrl, { perMessageDeflate: false } as never);
        ws.data.upstream = upstream;
        upstream.onopen = () => {
          for (const text of ws.data.queue) upstream.send(toServer(text));
          ws.data.queue = [];
        };
        upstream.onmessage = (event) => {
          const text = toClient(String(event.data));
          frames.push({ dir: "server→client", frame: JSON.parse(text) });
          ws.send(text);
        };
        upstream.onclose = () => ws.close();
      },
      message(ws, message) {
        const text = String(message);
        frames.push({ dir: "client→server", frame: JSON.parse(text) });
        const upstream = ws.data.upstream;
        if (upstream?.readyState === WebSocket.OPEN) upstream.send(toServer(text));
        else ws.data.queue.push(text);
      },
      close(ws) {
        ws.data.upstream?.close();
      },
    },
  });
  return { url: `ws://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

async function startServer(kind: string, home: string) {
  const listen = ["--listen", "ws://127.0.0.1:0"];
  const command =
    kind === "ours"
      ? [process.execPath, join(ROOT, "src/index.ts"), ...listen, "--log-level", "error"]
      : [kind, "exec-server", ...listen];
  const child = Bun.spawn(command, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, CODEX_HOME: home, RUST_LOG: process.env.RUST_LOG ?? "error" },
  });
  return { url: await firstLine(child.stdout, kind), child };
}

const home = mkdtempSync(join(tmpdir(), "sandbox-capture-home-"));
// The reference refuses to create its helper links (codex-linux-sandbox) under /tmp.
const serverHome = mkdtempSync(join(homedir(), ".sandbox-capture-server-home-"));
const work = mkdtempSync(join(tmpdir(), "sandbox-capture-work-"));
// Outside the workspace and outside /tmp (which workspace-write leaves writable).
const outside = mkdtempSync(join(homedir(), ".sandbox-capture-outside-"));
mkdirSync(join(work, ".git"));
writeFileSync(join(work, ".git/config"), "[core]\n");
const listener = startListener();
const exec = (cmd: string, n: number): Item => ({
  type: "function_call",
  id: `fc_${n}`,
  call_id: `call_${n}`,
  name: "exec_command",
  arguments: JSON.stringify({ cmd, yield_time_ms: 10_000 }),
});
const patch = "*** Begin Patch\n*** Add File: patched.txt\n+patched\n*** End Patch\n";
const outsidePatch = `*** Begin Patch\n*** Add File: ${outside}/patched.txt\n+patched\n*** End Patch\n`;
const calls = [
  exec("echo inside > inside.txt && cat inside.txt", 1),
  exec(`echo outside > ${outside}/outside.txt; echo rc=$?`, 2),
  exec(`echo x >> .git/config; echo rc=$?`, 3),
  exec(`bash -c 'cat < /dev/tcp/127.0.0.1/${listener.port}'; echo rc=$?`, 4),
  exec(`apply_patch <<'EOF'\n${patch}EOF`, 5),
  exec(`apply_patch <<'EOF'\n${outsidePatch}EOF`, 6),
  exec("ls -A; grep Seccomp /proc/self/status; cat /proc/self/uid_map; touch /tmp/t && echo tmp-ok", 7),
];
const model = startModel(calls);
const frames: { dir: string; frame: unknown }[] = [];
const server = await startServer(values.server as string, serverHome);
const proxy = startProxy(server.url, frames);
try {
  const provider = `{name="fake",base_url="${model.url}",wire_api="responses",env_key="FAKE_API_KEY"}`;
  const codex = Bun.spawn(
    [
      values.client,
      "exec",
      "-s",
      values.mode as string,
      "--skip-git-repo-check",
      "-c",
      "model_provider=fake",
      "-c",
      `model_providers.fake=${provider}`,
      "-c",
      "model=fake-model",
      "run the commands",
    ],
    {
      cwd: work,
      env: { ...process.env, CODEX_HOME: home, FAKE_API_KEY: "x", CODEX_EXEC_SERVER_URL: proxy.url },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    },
  );
  const timer = setTimeout(() => codex.kill(), 120_000);
  const [code, stderr] = await Promise.all([codex.exited, new Response(codex.stderr).text()]);
  clearTimeout(timer);
  console.log(`codex exited ${code}`);
  if (code !== 0) console.log(stderr.slice(-2000));
  for (const [i, output] of model.outputs.entries()) console.log(`--- tool result ${i + 1}\n${output}`);
  const placeholders = (text: string) =>
    text
      .replaceAll(work, "/WORK")
      .replaceAll(outside, "/OUTSIDE")
      .replaceAll(serverHome, "/SERVER_CODEX_HOME")
      .replaceAll(home, "/CODEX_HOME");
  const lines = frames.map((f) => placeholders(JSON.stringify(f)));
  if (values.out) writeFileSync(values.out, `${lines.join("\n")}\n`);
  else console.log(lines.join("\n"));
} finally {
  proxy.stop();
  model.stop();
  listener.stop(true);
  server.child.kill("SIGTERM");
  await server.child.exited;
  for (const dir of [home, serverHome, work, outside]) rmSync(dir, { recursive: true, force: true });
}
