// A real Codex 0.125 client against a server: does the model get every line of a large output?
// `bun bench/codex-check.ts [--server ours|ours-bin|reference] [--runs 5] [--lines 300001]
// [--pause-client MS]`: with --pause-client, the client is stopped (SIGSTOP) for MS ms, then let go
// for 500 ms, over and over, as a loaded machine would hold it back.
// Needs the reference package (`bun run bench:fetch-reference`): its `codex exec` is the client.
// A fake Responses-API model on 127.0.0.1 asks Codex to run `seq 1 LINES` through the server
// (CODEX_EXEC_SERVER_URL) and then finishes; Codex's tool output limit is raised so the model's
// next request carries the whole output, and every line of it is checked. Never run in CI.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { functionCall, message, outputText, startFakeModel, toolOutputs } from "./fake-model.ts";
import { REFERENCE_BINARY, type ServerKind, startBenchServer } from "./servers.ts";

const { values } = parseArgs({
  options: {
    server: { type: "string", default: "ours" },
    runs: { type: "string", default: "5" },
    lines: { type: "string", default: "300001" },
    "pause-client": { type: "string" },
  },
});
const lines = Number(values.lines);
const FULL_OUTPUT_TOKENS = 1_000_000;

/** The fake model: first a call to Codex's exec_command tool, then (given its output) "done". */
function startModel(command: string) {
  const outputs: string[] = [];
  let isIssued = false;
  const model = startFakeModel((request) => {
    const results = toolOutputs(request);
    // Only the first request gets the command: a 2 MB tool result makes Codex compact its
    // context, and that request carries no tool result either.
    if (results.length === 0 && !isIssued) {
      isIssued = true;
      return [
        functionCall("exec_command", {
          cmd: command,
          yield_time_ms: 30_000,
          max_output_tokens: FULL_OUTPUT_TOKENS,
        }),
      ];
    }
    if (results.length > 0) outputs.push(outputText(results.at(-1)));
    return [message("done")];
  });
  return { url: model.url, outputs, stop: model.stop };
}

/** How many of 1..n the output holds in order, and the first line missing or out of place. */
function checkSeq(output: string, n: number) {
  const text = output.slice(output.indexOf("Output:\n") + "Output:\n".length);
  const got = text.split("\n").filter((line) => line !== "");
  let expected = 1;
  let firstGap: string | null = null;
  for (const line of got) {
    if (line === String(expected)) expected++;
    else {
      firstGap ??= `after ${expected - 1}: ${JSON.stringify(line.slice(0, 20))}`;
      const value = Number(line);
      if (Number.isInteger(value) && value > expected) expected = value + 1;
    }
  }
  return { lines: got.length, isWhole: got.length === n && firstGap === null, firstGap };
}

async function run(kind: ServerKind, index: number) {
  const model = startModel(`seq 1 ${lines}`);
  const server = await startBenchServer(kind);
  const home = mkdtempSync(join(tmpdir(), "codex-check-home-"));
  const work = mkdtempSync(join(tmpdir(), "codex-check-work-"));
  const started = performance.now();
  try {
    const provider = `{name="fake",base_url="${model.url}",wire_api="responses",env_key="FAKE_API_KEY"}`;
    const codex = Bun.spawn(
      [
        REFERENCE_BINARY,
        "exec",
        "--dangerously-bypass-approvals-and-sandbox",
        "--skip-git-repo-check",
        "-c",
        "model_provider=fake",
        "-c",
        `model_providers.fake=${provider}`,
        "-c",
        "model=fake-model",
        "-c",
        `tool_output_token_limit=${FULL_OUTPUT_TOKENS}`,
        "run the command",
      ],
      {
        cwd: work,
        env: { ...process.env, CODEX_HOME: home, FAKE_API_KEY: "x", CODEX_EXEC_SERVER_URL: server.url },
        stdin: "ignore",
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    const timer = setTimeout(() => codex.kill(), 120_000);
    const pausing = pauseMs > 0 ? holdBack(codex, pauseMs) : Promise.resolve();
    const [code, stderr] = await Promise.all([codex.exited, new Response(codex.stderr).text()]);
    clearTimeout(timer);
    await pausing;
    const output = model.outputs[0];
    if (output === undefined)
      throw new Error(`codex exited ${code} without a tool result: ${stderr.slice(-500)}`);
    const result = checkSeq(output, lines);
    const tokens = /Original token count: (\d+)/.exec(output)?.[1] ?? "?";
    console.log(
      `${kind} run ${index}: ${result.isWhole ? "whole" : "NOT whole"}, ${result.lines} of ${lines} lines` +
        `, Codex counted ${tokens} tokens${result.firstGap ? `, first gap ${result.firstGap}` : ""}` +
        ` (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    return result.isWhole;
  } finally {
    model.stop();
    await server.stop();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

const pauseMs = Number(values["pause-client"] ?? 0);

/** Stop the client for `ms`, let it run 500 ms, and again, until it exits; it is left running. */
async function holdBack(client: Bun.Subprocess, ms: number): Promise<void> {
  while (client.exitCode === null && client.signalCode === null) {
    client.kill("SIGSTOP");
    await Bun.sleep(ms);
    client.kill("SIGCONT");
    await Promise.race([client.exited, Bun.sleep(500)]);
  }
}

const kind = values.server as ServerKind;
let whole = 0;
const runs = Number(values.runs);
for (let i = 1; i <= runs; i++) if (await run(kind, i)) whole++;
console.log(`${kind}: ${whole} of ${runs} runs delivered every line`);
