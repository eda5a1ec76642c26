// The six `codex exec` tasks of bench/codex-tasks.ts. Each task is a fake model's script (a few
// tool calls, each chosen from the tools the client offers and the output of the previous call)
// and a check on what reached the model and what is on disk once Codex has exited.

import { existsSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import {
  customToolCall,
  functionCall,
  type Item,
  type ModelRequest,
  type ModelScript,
  message,
  outputText,
  toolOutputs,
} from "./fake-model.ts";

export const LARGE_LINES = 100_000;
/**
 * The tool output budget: raised in config.toml and asked for per call, so a large output is not
 * cut; `--output-tokens` lowers it to see the client's own truncation (task f accounts for it).
 */
export const outputBudget = { tokens: 1_000_000 };

export interface TaskContext {
  work: string;
  nonce: string;
  /** The text of each of the script's tool calls' outputs, in call order, once it reached the model. */
  outputs: string[];
  requests: ModelRequest[];
  /** The methods of the requests the client sent to the server (through the logging proxy). */
  methods: string[];
}

export interface Verdict {
  isPass: boolean;
  reason: string;
}

/** One step: the tool call to make given the request and the previous outputs, or none to finish. */
type Step = (request: ModelRequest, ctx: TaskContext) => Item | undefined;

export interface Task {
  id: string;
  title: string;
  setup?(ctx: TaskContext): void;
  steps: Step[];
  /** Server methods that must have been called, proving the work went through the server. */
  needs: string[];
  check(ctx: TaskContext): Verdict;
}

const pass = (reason: string): Verdict => ({ isPass: true, reason });
const fail = (reason: string): Verdict => ({ isPass: false, reason });
const short = (text: string) => JSON.stringify(text.length > 160 ? `${text.slice(0, 160)}…` : text);

function exec(cmd: string, extra: Record<string, unknown> = {}): Item {
  return functionCall("exec_command", {
    cmd,
    yield_time_ms: 10_000,
    max_output_tokens: outputBudget.tokens,
    ...extra,
  });
}

/** apply_patch as the client declares it: a freeform tool, a function tool, or through the shell. */
function applyPatch(request: ModelRequest, patch: string): Item {
  const tool = (request.body.tools as Record<string, unknown>[] | undefined)?.find(
    (t) => t.name === "apply_patch",
  );
  if (tool?.type === "custom") return customToolCall("apply_patch", patch);
  if (tool) return functionCall("apply_patch", { input: patch });
  return exec(`apply_patch <<'PATCH'\n${patch}PATCH`);
}

/** The body of a unified-exec result after its header lines. */
function outputBody(text: string): string {
  const at = text.indexOf("Output:\n");
  return at < 0 ? text : text.slice(at + "Output:\n".length);
}

const exitCode = (text: string) => /exited with code (-?\d+)/.exec(text)?.[1];

/** A valid 4×4 RGB PNG, so view_image has a real image to read. */
export function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(Bun.hash.crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(4, 0);
  header.writeUInt32BE(4, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.from([0, ...Array.from({ length: 4 }, () => [200, 30, 90]).flat()]);
  const pixels = deflateSync(Buffer.concat([row, row, row, row]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", pixels),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function checkSeq(text: string, n: number): Verdict {
  const all = outputBody(text)
    .split("\n")
    .filter((line) => line !== "");
  // Lines before "1": a client's header (total lines, a truncation warning) or a login shell's
  // profile complaining (pyenv does in a sandbox).
  const start = Math.max(0, all.indexOf("1"));
  const lines = all.slice(start);
  const noise = start > 0 ? ` (${start} line(s) before the output, first ${short(all[0] ?? "")})` : "";
  const numbers = lines.map(Number);
  if (lines.length === n && numbers.every((value, i) => value === i + 1))
    return pass(`all ${n} lines in order${noise}`);
  // The client's own truncation keeps a head and a tail with a marker between them: accept it
  // only if the kept lines are exactly 1..k and m..n and the marker is there.
  const marker = lines.findIndex((line) => !/^\d+$/.test(line));
  if (marker > 0) {
    const head = numbers.slice(0, marker);
    const tail = numbers.slice(marker + 1);
    const isHead = head.every((value, i) => value === i + 1);
    const first = tail[0] ?? 0;
    const isTail = tail.length > 0 && tail.every((value, i) => value === first + i) && tail.at(-1) === n;
    if (isHead && isTail && tail.every((value) => !Number.isNaN(value)))
      return pass(
        `client truncated: kept 1..${head.length} and ${first}..${n}, marker ${short(lines[marker] ?? "")}${noise}`,
      );
  }
  const firstBad = numbers.findIndex((value, i) => value !== i + 1);
  return fail(
    `${lines.length} of ${n} lines; first out of place at ${firstBad}: ${short(lines[firstBad] ?? "")}`,
  );
}

const shell: Task = {
  id: "a",
  title: "shell command",
  needs: ["process/start"],
  steps: [(_, ctx) => exec(`echo hello-${ctx.nonce}; pwd`)],
  check(ctx) {
    const out = ctx.outputs[0];
    if (out === undefined) return fail("no tool output reached the model");
    const cwd = realpathSync(ctx.work);
    if (!out.includes(`hello-${ctx.nonce}`)) return fail(`no nonce in ${short(out)}`);
    if (!outputBody(out).split("\n").includes(cwd)) return fail(`pwd not ${cwd}: ${short(out)}`);
    return pass("nonce and cwd reached the model");
  },
};

const addFile: Task = {
  id: "b",
  title: "apply_patch add file",
  needs: ["fs/writeFile"],
  steps: [
    (request, ctx) =>
      applyPatch(
        request,
        `*** Begin Patch\n*** Add File: new/dir/added.txt\n+added-${ctx.nonce}\n*** End Patch\n`,
      ),
  ],
  check(ctx) {
    const path = join(ctx.work, "new/dir/added.txt");
    if (!existsSync(path)) return fail(`no file; the model got ${short(ctx.outputs[0] ?? "nothing")}`);
    const text = readFileSync(path, "utf8");
    return text === `added-${ctx.nonce}\n` ? pass("file written") : fail(`content ${short(text)}`);
  },
};

const editAndImage: Task = {
  id: "c",
  title: "apply_patch edit + delete, view_image",
  needs: ["fs/writeFile", "fs/readFile"],
  setup(ctx) {
    writeFileSync(join(ctx.work, "edit.txt"), `first\nold-${ctx.nonce}\nlast\n`);
    writeFileSync(join(ctx.work, "pixel.png"), tinyPng());
    writeFileSync(join(ctx.work, "todelete.txt"), "remove me\n");
  },
  steps: [
    (request, ctx) =>
      applyPatch(
        request,
        `*** Begin Patch\n*** Update File: edit.txt\n@@\n first\n-old-${ctx.nonce}\n+new-${ctx.nonce}\n last\n*** Delete File: todelete.txt\n*** End Patch\n`,
      ),
    (_, ctx) => functionCall("view_image", { path: join(ctx.work, "pixel.png") }),
  ],
  check(ctx) {
    const text = readFileSync(join(ctx.work, "edit.txt"), "utf8");
    if (text !== `first\nnew-${ctx.nonce}\nlast\n`)
      return fail(`edit.txt is ${short(text)}; the model got ${short(ctx.outputs[0] ?? "nothing")}`);
    if (existsSync(join(ctx.work, "todelete.txt"))) return fail("edited, but todelete.txt is still there");
    const last = ctx.requests.at(-1);
    const input = JSON.stringify(last?.input ?? []);
    const image = /data:image\/(png|jpeg|webp);base64,([A-Za-z0-9+/=]+)/.exec(input);
    if (!image)
      return fail(`edited, but no image in the next request: ${short(ctx.outputs[1] ?? "no output")}`);
    const isSame = Buffer.from(image[2] ?? "", "base64").equals(tinyPng());
    return pass(
      `edited and deleted; image/${image[1]} reached the model (${isSame ? "the same bytes" : "re-encoded"})`,
    );
  },
};

const failing: Task = {
  id: "d",
  title: "failing command, stderr, exit 3",
  needs: ["process/start"],
  steps: [(_, ctx) => exec(`echo err-${ctx.nonce} >&2; exit 3`)],
  check(ctx) {
    const out = ctx.outputs[0];
    if (out === undefined) return fail("no tool output reached the model");
    if (!out.includes(`err-${ctx.nonce}`)) return fail(`no stderr text in ${short(out)}`);
    const code = exitCode(out);
    return code === "3" ? pass("stderr and exit code 3") : fail(`exit code ${code} in ${short(out)}`);
  },
};

const tty: Task = {
  id: "e",
  title: "tty + write_stdin",
  needs: ["process/start", "process/write"],
  steps: [
    () => exec("read x; echo got-$x", { tty: true, yield_time_ms: 1000 }),
    (_, ctx) => {
      const session = /session ID (\d+)/.exec(ctx.outputs[0] ?? "")?.[1];
      if (session === undefined) return undefined;
      return functionCall("write_stdin", {
        session_id: Number(session),
        chars: `${ctx.nonce}\n`,
        yield_time_ms: 5000,
      });
    },
  ],
  check(ctx) {
    const first = ctx.outputs[0];
    if (first === undefined) return fail("no tool output reached the model");
    const second = ctx.outputs[1];
    if (second === undefined) return fail(`no session to write to: ${short(first)}`);
    return second.includes(`got-${ctx.nonce}`)
      ? pass("got-<nonce> came back through the tty")
      : fail(`write_stdin output ${short(second)}`);
  },
};

const large: Task = {
  id: "f",
  title: `large output (seq 1 ${LARGE_LINES})`,
  needs: ["process/start"],
  steps: [() => exec(`seq 1 ${LARGE_LINES}`, { yield_time_ms: 30_000 })],
  check(ctx) {
    const out = ctx.outputs[0];
    return out === undefined ? fail("no tool output reached the model") : checkSeq(out, LARGE_LINES);
  },
};

export const TASKS: Task[] = [shell, addFile, editAndImage, failing, tty, large];

/**
 * The fake model's script for a task: step k is issued once, when the request carries the outputs
 * of steps 0..k-1; any other request (a retry, a compaction) is answered with a final message.
 */
export function taskScript(task: Task, ctx: TaskContext): ModelScript {
  const callIds: string[] = [];
  return (request) => {
    ctx.requests.push(request);
    const outputs = toolOutputs(request);
    for (const [i, id] of callIds.entries()) {
      if (ctx.outputs[i] !== undefined) continue;
      const found = outputs.find((item) => item.call_id === id);
      if (found) ctx.outputs[i] = outputText(found);
    }
    const next = callIds.length;
    const isReady = ctx.outputs.filter((o) => o !== undefined).length === next;
    const step = isReady ? task.steps[next] : undefined;
    const call = step?.(request, ctx);
    if (!call) return [message("done")];
    callIds.push(String(call.call_id));
    return [call];
  };
}
