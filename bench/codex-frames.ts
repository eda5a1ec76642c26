// The frames of a bench/codex-tasks.ts run: requests paired with their answers, the stdio shim's
// log, and the server answer that best explains a failed task.
import { readFileSync } from "node:fs";
import type { Task } from "./codex-task-list.ts";
import type { Frame } from "./ws-log-proxy.ts";

export interface Pair {
  connection: number;
  method: string;
  params: unknown;
  result?: unknown;
  error?: unknown;
}

/** Match each client request to its response; notifications either way are left out. */
export function pairs(frames: Frame[]): Pair[] {
  const out: Pair[] = [];
  const pending = new Map<string, Pair>();
  for (const frame of frames) {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(frame.text);
    } catch {
      continue;
    }
    const key = `${frame.connection}:${JSON.stringify(value.id)}`;
    if (frame.direction === "client->server" && typeof value.method === "string" && "id" in value) {
      const pair: Pair = { connection: frame.connection, method: value.method, params: value.params };
      pending.set(key, pair);
      out.push(pair);
    } else if (frame.direction === "server->client" && !("method" in value)) {
      const pair = pending.get(key);
      if (!pair) continue;
      if ("error" in value) pair.error = value.error;
      else pair.result = value.result;
      pending.delete(key);
    }
  }
  return out;
}

export const lastLine = (text: string) =>
  JSON.stringify(
    text
      .split("\n")
      .filter((line) => line.trim() && !line.startsWith("WARNING"))
      .slice(-2)
      .join(" | ")
      .slice(0, 240),
  );

/** The server's answer that best explains a failure: an error to a method the task needs first. */
export function errorHint(task: Task, calls: Pair[], frames: Frame[], stderr: string): string {
  // A missing optional method (-32601) and a missing probed file (-32004) are routine.
  const errors = calls.filter((call) => {
    const code = (call.error as { code?: number } | undefined)?.code;
    return code !== undefined && code !== -32601 && !(call.method === "fs/getMetadata" && code === -32004);
  });
  const error = errors.find((call) => task.needs.includes(call.method)) ?? errors[0];
  if (error) return ` [server: ${error.method} → ${JSON.stringify(error.error).slice(0, 200)}]`;
  const serverStderr = frames.filter((frame) => frame.direction === "stderr").map((frame) => frame.text);
  if (serverStderr.length > 0) return ` [server stderr: ${lastLine(serverStderr.join("\n"))}]`;
  if (calls.length === 0) return ` [no frames; codex: ${lastLine(stderr)}]`;
  return "";
}

export function readShimLog(path: string): Frame[] {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Frame);
  } catch {
    return [];
  }
}
