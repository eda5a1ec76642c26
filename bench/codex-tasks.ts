// Real Codex clients through a server: which of six `codex exec` tasks pass, per client version,
// server and connection mode. `bun bench/codex-tasks.ts [--client 0.125,0.171] [--server ours]
// [--mode env] [--runs 1] [--tasks abcdef] [--repo DIR] [--sandbox workspace-write]
// [--frames FILE] [--fixture FILE] [--output-tokens N]`. Each task is one `codex exec` in a fresh
// CODEX_HOME and workspace against a fake Responses-API model (bench/fake-model.ts); every frame
// between client and server passes a logging proxy (websocket) or shim (stdio), and a task passes
// only if its work went through the server. Exits 1 when a combination expected to pass fails.
// Never in CI.
import { realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { errorHint, lastLine, type Pair, pairs, readShimLog } from "./codex-frames.ts";
import {
  CLIENTS,
  cleanUpAll,
  hasTokenAuth,
  makeDir,
  makeHome,
  type RunningServer,
  removeDir,
  SERVERS,
  type ServerName,
  serverArgv,
  serverMissing,
  spawnGroup,
  startServer,
  stopGroup,
} from "./codex-servers.ts";
import {
  outputBudget,
  TASKS,
  type Task,
  type TaskContext,
  taskScript,
  type Verdict,
} from "./codex-task-list.ts";
import { startFakeModel, writeCodexConfig } from "./fake-model.ts";
import { startWsLogProxy } from "./ws-log-proxy.ts";

const MODES = ["env", "toml-url", "toml-program"] as const;
type Mode = (typeof MODES)[number];
const CODEX_TIMEOUT_MS = 120_000;
const ROOT = resolve(new URL("..", import.meta.url).pathname);

const { values } = parseArgs({
  options: {
    client: { type: "string", default: "0.125,0.171" },
    server: { type: "string", default: "ours" },
    mode: { type: "string", default: "env" },
    runs: { type: "string", default: "1" },
    tasks: { type: "string", default: "abcdef" },
    repo: { type: "string", default: process.cwd() },
    sandbox: { type: "string" },
    frames: { type: "string" },
    fixture: { type: "string" },
    "output-tokens": { type: "string" },
  },
});
const list = (text: string) => text.split(",").filter(Boolean);
const clients = list(values.client);
const servers = list(values.server) as ServerName[];
const modes = list(values.mode) as Mode[];
const tasks = TASKS.filter((task) => values.tasks.includes(task.id));
const repo = resolve(values.repo);
if (values["output-tokens"]) outputBudget.tokens = Number(values["output-tokens"]);
for (const c of clients) if (!CLIENTS[c]) throw new Error(`unknown client ${c}: ${Object.keys(CLIENTS)}`);
for (const s of servers) if (!SERVERS.includes(s)) throw new Error(`unknown server ${s}: ${SERVERS}`);
for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m}: ${MODES}`);

/** Whether a combination should do all six: same dialect, and a client that reads the mode. */
function expectation(client: string, server: ServerName, mode: Mode): "expected" | "not expected" | "n/a" {
  if (mode !== "env" && client === "0.125") return "n/a";
  if (mode === "toml-program" && server === "ref-0.125") return "n/a";
  if (server === `ref-${client}` || !server.startsWith("ref-")) return "expected";
  return "not expected";
}

interface Cell {
  verdicts: Verdict[];
}
const cells = new Map<string, Cell>();
const framesOut: string[] = [];
const fixtureOut: string[] = [];
const toolsSeen = new Set<string>();

/**
 * $CODEX_HOME/environments.toml for one remote environment, as measured on the 0.171 client:
 * top level `default` (an environment id), `include_local` (bool, default true), `[[environments]]`;
 * an environment has `id` ("local" is reserved), exactly one of `url` and `program` (+ `args`, `env`,
 * `cwd`), `auth_bearer_token` (the token itself, sent as `Authorization: Bearer`; only with `url`),
 * `skills`, `connect_timeout_sec`, `initialize_timeout_sec`. Without `default` the client keeps
 * running commands locally; a wrong or missing token leaves "No usable execution environment".
 */
function environmentsToml(
  mode: Mode,
  url: string,
  token: string | undefined,
  program: string[],
  home: string,
) {
  const lines = ['default = "remote"', "include_local = false", "", "[[environments]]", 'id = "remote"'];
  if (mode === "toml-url") {
    lines.push(`url = ${JSON.stringify(url)}`);
    if (token) lines.push(`auth_bearer_token = ${JSON.stringify(token)}`);
  } else {
    lines.push(`program = ${JSON.stringify(program[0])}`, `args = ${JSON.stringify(program.slice(1))}`);
    lines.push(`env = { CODEX_HOME = ${JSON.stringify(home)} }`);
  }
  return `${lines.join("\n")}\n`;
}

/** Run one task; its reason names the workspace and nonce generically, so reasons of runs group. */
async function runTask(task: Task, client: string, server: ServerName, mode: Mode, ws?: RunningServer) {
  const work = makeDir(tmpdir(), "codex-tasks-work-");
  const nonce = crypto.randomUUID().slice(0, 8);
  const verdict = await runTaskIn(work, nonce, task, client, server, mode, ws).catch((error: Error) =>
    failWith(`the bench failed: ${error.message}`),
  );
  const reason = verdict.reason.replaceAll(realpathSync(work), "<work>").replaceAll(work, "<work>");
  removeDir(work);
  return { ...verdict, reason: reason.replaceAll(nonce, "<nonce>") };
}

async function runTaskIn(
  work: string,
  nonce: string,
  task: Task,
  client: string,
  server: ServerName,
  mode: Mode,
  ws?: RunningServer,
): Promise<Verdict> {
  const home = makeHome("client-");
  const serverHome = makeHome("stdio-server-");
  const ctx: TaskContext = {
    work,
    nonce,
    outputs: [],
    requests: [],
    methods: [],
  };
  const model = startFakeModel(taskScript(task, ctx));
  const proxy = ws ? startWsLogProxy(ws.url) : undefined;
  const shimLog = join(home, "stdio-frames.jsonl");
  let codex: ReturnType<typeof spawnGroup> | undefined;
  try {
    task.setup?.(ctx);
    const env: Record<string, string | undefined> = {
      ...process.env,
      CODEX_EXEC_SERVER_URL: undefined,
      ...writeCodexConfig(home, model.url, "gpt-5.5", [`tool_output_token_limit = ${outputBudget.tokens}`]),
    };
    if (mode === "env") env.CODEX_EXEC_SERVER_URL = proxy?.url;
    else {
      const program = [process.execPath, join(ROOT, "bench/stdio-log-shim.ts"), shimLog];
      program.push(...serverArgv(server, repo, "stdio"));
      const toml = environmentsToml(mode, proxy?.url ?? "", ws?.token, program, serverHome);
      writeFileSync(join(home, "environments.toml"), toml);
    }
    const policy = values.sandbox ? ["-s", values.sandbox] : ["--dangerously-bypass-approvals-and-sandbox"];
    const argv = [CLIENTS[client] as string, "exec", "--skip-git-repo-check", ...policy, "Do the task."];
    codex = spawnGroup(argv, { cwd: work, env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    const child = codex;
    const timer = setTimeout(() => stopGroup(child), CODEX_TIMEOUT_MS);
    const [code, stderr] = await Promise.all([
      codex.exited,
      new Response(codex.stderr as ReadableStream).text(),
    ]);
    clearTimeout(timer);
    const frames = proxy ? proxy.frames : readShimLog(shimLog);
    const calls = pairs(frames);
    ctx.methods = calls.map((call) => call.method);
    record(client, task, server, mode, calls, work, home);
    const first = ctx.requests[0];
    if (first && !toolsSeen.has(client)) {
      toolsSeen.add(client);
      console.log(`tools offered by Codex ${client}: ${first.tools.join(", ")}`);
    }
    if (first === undefined)
      return failWith(`codex exited ${code} before asking the model: ${lastLine(stderr)}`);
    const missing = task.needs.filter((method) => !ctx.methods.includes(method));
    const verdict = task.check(ctx);
    if (verdict.isPass && missing.length > 0)
      return failWith(`passed locally, but no ${missing.join(", ")} went through the server`);
    if (!verdict.isPass)
      return { ...verdict, reason: `${verdict.reason}${errorHint(task, calls, frames, stderr)}` };
    return verdict;
  } finally {
    if (codex) await stopGroup(codex);
    proxy?.stop();
    model.stop();
    for (const dir of [home, serverHome]) removeDir(dir);
  }
}

const failWith = (reason: string): Verdict => ({ isPass: false, reason });
/** Keep the frames (--frames) and the sandboxed requests (--fixture), workspace paths replaced. */
function record(
  client: string,
  task: Task,
  server: string,
  mode: string,
  calls: Pair[],
  work: string,
  home: string,
) {
  const clean = (value: unknown) =>
    JSON.parse(
      JSON.stringify(value).replaceAll(work, "/home/dev/project").replaceAll(home, "/home/dev/.codex"),
    );
  for (const call of calls) {
    const line = { client: `codex-cli ${client}`, server, mode, task: task.id, ...clean(call) };
    if (values.frames) framesOut.push(JSON.stringify(line));
    const params = call.params as { sandbox?: unknown } | null;
    const isSandboxed = call.method === "process/start" || (params?.sandbox ?? null) !== null;
    if (values.fixture && isSandboxed) fixtureOut.push(JSON.stringify(line));
  }
}

async function runCombination(client: string, server: ServerName, mode: Mode) {
  const missing = serverMissing(server, repo);
  let ws: RunningServer | undefined;
  let startError: string | undefined;
  if (!missing && mode !== "toml-program") {
    try {
      ws = await startServer(server, repo, mode === "toml-url" && hasTokenAuth(server));
    } catch (error) {
      startError = `server did not start: ${(error as Error).message}`;
    }
  }
  try {
    for (const task of tasks) {
      const verdict = missing
        ? failWith(missing)
        : startError
          ? failWith(startError)
          : await runTask(task, client, server, mode, ws);
      const key = `${client}|${server}|${mode}|${task.id}`;
      const cell = cells.get(key) ?? { verdicts: [] };
      cell.verdicts.push(verdict);
      cells.set(key, cell);
      console.log(
        `  ${client} → ${server} (${mode}) ${task.id}: ${verdict.isPass ? "pass" : "FAIL"} ${verdict.reason}`,
      );
    }
  } finally {
    await ws?.stop();
  }
}

function report(): boolean {
  const runs = Number(values.runs);
  const header = ["client", "server", "mode", ...tasks.map((t) => t.id), "expect"];
  const rows: string[][] = [];
  const reasons: string[] = [];
  let isOk = true;
  for (const client of clients)
    for (const server of servers)
      for (const mode of modes) {
        const expect = expectation(client, server, mode);
        if (expect === "n/a") continue;
        const row = [client, server, mode];
        for (const task of tasks) {
          const verdicts = cells.get(`${client}|${server}|${mode}|${task.id}`)?.verdicts ?? [];
          const passes = verdicts.filter((v) => v.isPass).length;
          row.push(runs === 1 ? (passes === 1 ? "pass" : "FAIL") : `${passes}/${verdicts.length}`);
          if (passes < verdicts.length && expect === "expected") isOk = false;
          const counts = new Map<string, number>();
          for (const v of verdicts) counts.set(v.reason, (counts.get(v.reason) ?? 0) + 1);
          const isAllPass = passes === verdicts.length;
          for (const [reason, n] of counts)
            if (isAllPass || !verdicts.find((v) => v.reason === reason)?.isPass)
              reasons.push(`${client} ${server} ${mode} ${task.id}${runs > 1 ? ` ×${n}` : ""}: ${reason}`);
        }
        rows.push([...row, expect]);
      }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cols: string[]) => `| ${cols.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log(`\n${tasks.map((t) => `${t.id} = ${t.title}`).join("; ")}`);
  console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
  console.log(`\n${reasons.join("\n")}`);
  return isOk;
}

const onSignal = () => {
  cleanUpAll();
  process.exit(130);
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
let isOk = false;
try {
  for (let run = 1; run <= Number(values.runs); run++)
    for (const client of clients)
      for (const server of servers)
        for (const mode of modes)
          if (expectation(client, server, mode) !== "n/a") await runCombination(client, server, mode);
  isOk = report();
  if (values.frames) writeFileSync(values.frames, `${framesOut.join("\n")}\n`);
  if (values.fixture) writeFileSync(values.fixture, `${fixtureOut.join("\n")}\n`);
} finally {
  cleanUpAll();
}
process.exit(isOk ? 0 : 1);
