// A fake Responses-API model on 127.0.0.1 for driving a real `codex exec`. A script decides each
// turn from the request Codex sent (its tools, its input items); every request is kept so a check
// can read what reached the model (tool outputs, images) after the run.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export type Item = Record<string, unknown>;

/** One request Codex sent to the model. */
export interface ModelRequest {
  body: Record<string, unknown>;
  input: Item[];
  /** The names of the tools offered, in order (function and custom tools alike). */
  tools: string[];
}

/** Decide the model's next output items from the request; the turn counts from 0. */
export type ModelScript = (request: ModelRequest, turn: number) => Item[];

export interface FakeModel {
  /** The base URL to give Codex as the provider's `base_url`. */
  url: string;
  requests: ModelRequest[];
  stop(): void;
}

let callCounter = 0;

export function functionCall(name: string, args: unknown): Item {
  const n = ++callCounter;
  return {
    type: "function_call",
    id: `fc_${n}`,
    call_id: `call_${n}`,
    name,
    arguments: JSON.stringify(args),
  };
}

/** A freeform (custom) tool call, as newer clients declare apply_patch. */
export function customToolCall(name: string, input: string): Item {
  const n = ++callCounter;
  return { type: "custom_tool_call", id: `ctc_${n}`, call_id: `call_${n}`, name, input };
}

export function message(text: string): Item {
  return {
    type: "message",
    id: `msg_${++callCounter}`,
    role: "assistant",
    content: [{ type: "output_text", text }],
  };
}

/** The outputs of tool calls in a request's input, newest last. */
export function toolOutputs(request: ModelRequest): Item[] {
  return request.input.filter(
    (item) => item.type === "function_call_output" || item.type === "custom_tool_call_output",
  );
}

/** A tool output's text: a string, or the text parts of a content array. */
export function outputText(item: Item | undefined): string {
  const output = item?.output;
  if (typeof output === "string") return output;
  if (Array.isArray(output))
    return output.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
  if (output && typeof output === "object" && "content" in output)
    return outputText({ output: (output as { content: unknown }).content });
  return output === undefined ? "" : JSON.stringify(output);
}

function toolName(tool: Record<string, unknown>): string {
  if (typeof tool.name === "string") return tool.name;
  const fn = tool.function as { name?: string } | undefined;
  return fn?.name ?? String(tool.type);
}

function sse(turn: number, items: Item[]): string {
  const id = `resp_${turn}`;
  const usage = {
    input_tokens: 1,
    input_tokens_details: null,
    output_tokens: 1,
    output_tokens_details: null,
    total_tokens: 2,
  };
  const events = [
    { type: "response.created", response: { id } },
    ...items.flatMap((item, index) => [
      { type: "response.output_item.added", output_index: index, item },
      { type: "response.output_item.done", output_index: index, item },
    ]),
    { type: "response.completed", response: { id, usage } },
  ];
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

export function startFakeModel(script: ModelScript): FakeModel {
  const requests: ModelRequest[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (!new URL(request.url).pathname.endsWith("/responses")) return new Response("{}", { status: 404 });
      const body = (await request.json()) as Record<string, unknown>;
      const tools = Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]).map(toolName) : [];
      const entry: ModelRequest = { body, input: (body.input as Item[] | undefined) ?? [], tools };
      requests.push(entry);
      const items = script(entry, requests.length - 1);
      return new Response(sse(requests.length, items), { headers: { "content-type": "text/event-stream" } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, requests, stop: () => server.stop(true) };
}

/**
 * Write `home`/config.toml pointing Codex at the fake model as provider `fake`, asking for `model`
 * (a slug the client knows gets that model's tools: "gpt-5.5" brings the freeform apply_patch in
 * 0.125 and 0.171 alike); `extra` top-level `key = value` lines come before the provider table.
 * Returns the environment Codex needs besides (the provider reads its key from FAKE_API_KEY).
 */
export function writeCodexConfig(
  home: string,
  modelUrl: string,
  model: string,
  extra: string[] = [],
): Record<string, string> {
  const lines = [
    ...extra,
    `model = ${JSON.stringify(model)}`,
    'model_provider = "fake"',
    "[model_providers.fake]",
    'name = "fake"',
    `base_url = ${JSON.stringify(modelUrl)}`,
    'wire_api = "responses"',
    'env_key = "FAKE_API_KEY"',
  ];
  writeFileSync(join(home, "config.toml"), `${lines.join("\n")}\n`);
  return { CODEX_HOME: home, FAKE_API_KEY: "x" };
}
