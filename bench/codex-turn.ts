// The figure a user feels: the wall time of one real `codex exec` turn through a server. A fake
// Responses-API model (bench/fake-model.ts) has Codex run COMMANDS short commands, one after the
// other, then one command printing OUTPUT_MB of text, then finishes. Each client is timed through
// ours and through its own reference (0.171 against ref-0.171, 0.125 against ref-0.125), the
// servers alternating run by run, each turn on a fresh server; medians and ours/reference.
// `bun bench/codex-turn.ts [--runs 5] [--client 0.171,0.125] [--ours ours-bin] [--commands 40]
// [--output-mb 20] [--repo DIR] [--login]`. The first command prints its parent's command line,
// proving the commands ran under the server and not in Codex itself. Commands run without login
// shell semantics unless --login: a login shell sources the host's profile for every command,
// which on a machine with a slow profile is most of the turn and the same for every server.
// Never in CI.
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  CLIENTS,
  cleanUpAll,
  makeDir,
  makeHome,
  removeDir,
  type ServerName,
  serverArgv,
  serverMissing,
  spawnGroup,
  startServer,
  stopGroup,
} from "./codex-servers.ts";
import {
  functionCall,
  type Item,
  message,
  outputText,
  startFakeModel,
  toolOutputs,
  writeCodexConfig,
} from "./fake-model.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    client: { type: "string", default: "0.171,0.125" },
    ours: { type: "string", default: "ours-bin" },
    commands: { type: "string", default: "40" },
    "output-mb": { type: "string", default: "20" },
    repo: { type: "string", default: resolve(new URL("..", import.meta.url).pathname) },
    login: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const clients = values.client.split(",").filter(Boolean);
const ours = values.ours as ServerName;
const commands = Number(values.commands);
const outputBytes = Number(values["output-mb"]) * 1_000_000;
const repo = resolve(values.repo);
const CODEX_TIMEOUT_MS = 180_000;
/** Every line of the large output: 99 characters and a newline. */
const LINE = "x".repeat(99);

for (const client of clients) if (!CLIENTS[client]) throw new Error(`unknown client ${client}`);
for (const server of [ours, ...clients.map((c) => `ref-${c}` as ServerName)]) {
  const missing = serverMissing(server, repo);
  if (missing) throw new Error(`${server}: ${missing}`);
}

const shortCommand = (i: number) =>
  i === 0 ? `tr '\\0' ' ' < /proc/$PPID/cmdline; echo; echo short-0` : `echo short-${i}`;
const largeCommand = `yes ${LINE} | head -c ${outputBytes}; echo; echo large-done`;

interface Turn {
  seconds: number;
  modelRequests: number;
}

/** The model's script: each call once the previous one's output arrived, then "done". */
function turnScript(outputs: string[]) {
  const callIds: string[] = [];
  return (request: Parameters<Parameters<typeof startFakeModel>[0]>[0]): Item[] => {
    const results = toolOutputs(request);
    for (const [i, id] of callIds.entries()) {
      const found = results.find((item) => item.call_id === id);
      if (outputs[i] === undefined && found) outputs[i] = outputText(found);
    }
    const next = callIds.length;
    if (outputs.filter((o) => o !== undefined).length < next || next > commands) return [message("done")];
    const cmd = next < commands ? shortCommand(next) : largeCommand;
    const call = functionCall("exec_command", { cmd, yield_time_ms: 30_000, login: values.login });
    callIds.push(String(call.call_id));
    return [call];
  };
}

/** Why a finished turn does not count, or undefined when every command ran through the server. */
function problem(outputs: string[], server: ServerName): string | undefined {
  // The server's command line: a reference runs as `codex exec-server`, the client as `codex exec`.
  const marker = server.startsWith("ref-")
    ? " exec-server "
    : serverArgv(server, repo, "stdio")[server === "ours" ? 1 : 0];
  if (outputs.length !== commands + 1)
    return `${outputs.length} of ${commands + 1} tool outputs reached the model`;
  if (!outputs[0]?.includes(marker as string))
    return `the first command ran outside the server: ${outputs[0]?.slice(0, 300)}`;
  for (let i = 0; i < commands; i++)
    if (!outputs[i]?.includes(`short-${i}`))
      return `command ${i}'s output is wrong: ${outputs[i]?.slice(0, 200)}`;
  // Codex truncates a large output for the model, keeping its head and tail.
  if (!outputs[commands]?.includes(LINE) || !outputs[commands]?.includes("large-done"))
    return `the large output's head or tail is missing: ${outputs[commands]?.slice(0, 200)}`;
  return undefined;
}

async function turn(client: string, server: ServerName): Promise<Turn> {
  const outputs: string[] = [];
  const model = startFakeModel(turnScript(outputs));
  const ws = await startServer(server, repo, false);
  const home = makeHome("turn-client-");
  const work = makeDir(tmpdir(), "codex-turn-work-");
  let codex: ReturnType<typeof spawnGroup> | undefined;
  try {
    const env = {
      ...process.env,
      ...writeCodexConfig(home, model.url, "gpt-5.5"),
      CODEX_EXEC_SERVER_URL: ws.url,
    };
    const argv = [
      CLIENTS[client] as string,
      "exec",
      "--skip-git-repo-check",
      "--dangerously-bypass-approvals-and-sandbox",
      "Do the task.",
    ];
    const started = performance.now();
    codex = spawnGroup(argv, { cwd: work, env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    const child = codex;
    const timer = setTimeout(() => stopGroup(child), CODEX_TIMEOUT_MS);
    const [code, stderr] = await Promise.all([
      child.exited,
      new Response(child.stderr as ReadableStream).text(),
    ]);
    const seconds = (performance.now() - started) / 1000;
    clearTimeout(timer);
    const why = problem(outputs, server) ?? (code === 0 ? undefined : `codex exited ${code}`);
    if (why) throw new Error(`${why}; stderr: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
    return { seconds, modelRequests: model.requests.length };
  } finally {
    if (codex) await stopGroup(codex);
    model.stop();
    await ws.stop();
    removeDir(home);
    removeDir(work);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = new Map<string, number[]>();
const failures: string[] = [];

process.on("SIGINT", () => {
  cleanUpAll();
  process.exit(130);
});
try {
  for (let run = 0; run < runs; run++)
    for (const client of clients) {
      const pair: ServerName[] = [ours, `ref-${client}` as ServerName];
      // Alternate who goes first, so drift in the machine's load does not favour one side.
      for (const server of run % 2 === 0 ? pair : pair.reverse()) {
        const key = `${client}|${server}`;
        try {
          const result = await turn(client, server);
          times.set(key, [...(times.get(key) ?? []), result.seconds]);
          console.error(
            `run ${run + 1}: ${client} → ${server} ${result.seconds.toFixed(2)} s (${result.modelRequests} model requests)`,
          );
        } catch (error) {
          failures.push(`run ${run + 1}: ${client} → ${server}: ${(error as Error).message}`);
          console.error(failures.at(-1));
        }
      }
    }
} finally {
  cleanUpAll();
}

const format = (xs: number[] | undefined) =>
  xs?.length ? `${(median(xs) as number).toFixed(2)} s (${xs.length} runs)` : "failed";
console.log(
  `one \`codex exec\` turn: ${commands} short commands + ${outputBytes / 1e6} MB of output${values.login ? " (login shells)" : ""}, wall time, median`,
);
console.log(`| client | ${ours} | its reference | ours/reference |\n|---|---:|---:|---:|`);
for (const client of clients) {
  const a = times.get(`${client}|${ours}`);
  const b = times.get(`${client}|ref-${client}`);
  const ratio =
    a?.length && b?.length ? `${((median(a) as number) / (median(b) as number)).toFixed(2)}×` : "";
  console.log(`| ${client} | ${format(a)} | ${format(b)} (ref-${client}) | ${ratio} |`);
}
for (const failure of failures) console.log(`failed: ${failure}`);
process.exit(failures.length > 0 ? 1 : 0);
