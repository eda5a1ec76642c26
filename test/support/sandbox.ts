// The sandbox contexts real Codex clients sent (test/fixtures/sandbox/), re-rooted on a test's
// own directories: every test of enforcement runs the shapes a client sends, not ones made up.
import { readFileSync } from "node:fs";
import type { SandboxContext } from "../../src/protocol/sandbox.ts";

const FIXTURES = new URL("../fixtures/sandbox/", import.meta.url).pathname;

type Frame = {
  dir: string;
  frame: { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown };
};

/** Every frame of a capture (bench/sandbox-capture.ts), in order. */
export function capturedFrames(name: string): Frame[] {
  return readFileSync(`${FIXTURES}${name}`, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Frame);
}

/** The `sandbox` of the first request of `method` in a capture. */
export function capturedSandbox(name: string, method: string): SandboxContext {
  const frame = capturedFrames(name).find((f) => f.frame.method === method && f.frame.params?.sandbox);
  if (!frame) throw new Error(`${name} holds no ${method} with a sandbox`);
  return frame.frame.params?.sandbox as SandboxContext;
}

export const CODEX_171 = "codex-0.171-workspace-write.jsonl";
export const CODEX_125 = "codex-0.125-workspace-write.jsonl";

/**
 * A captured context with /WORK replaced by `work`. The test directories live in /tmp, which
 * workspace-write leaves writable: `withoutTmp` drops those entries so /tmp stands for "outside".
 */
export function workspaceSandbox(
  work: string,
  { name = CODEX_171, method = "process/start", withoutTmp = true } = {},
): SandboxContext {
  const text = JSON.stringify(capturedSandbox(name, method)).replaceAll("/WORK", work);
  const context = JSON.parse(text) as SandboxContext & {
    permissions: { file_system: { entries: { path: { value?: { kind?: string } } }[] } };
  };
  if (withoutTmp) {
    const fs = context.permissions.file_system;
    fs.entries = fs.entries.filter((e) => !["slash_tmp", "tmpdir"].includes(e.path.value?.kind ?? ""));
  }
  return context;
}
