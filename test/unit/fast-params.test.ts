// Holds the hand-written params checks (src/protocol/fast-params.ts) and the codec's envelope
// checks to their zod schemas: for every input, the fast answer is undefined (zod decides) or
// exactly zod's value, members in zod's order. Inputs are real clients' frames (the fixtures), the
// bench's, and every one-member change of them to odd values. The plain ones must take the fast
// path, or it would be dead code that only looks fast.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { fastNotification, fastRequest, fastResponse } from "../../src/protocol/codec.ts";
import { FAST_PARAMS } from "../../src/protocol/fast-params.ts";
import { RpcNotification, RpcRequest, RpcResponse } from "../../src/protocol/jsonrpc.ts";
import { METHODS, type Method } from "../../src/protocol/methods.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/sandbox");

/** Every client frame of the captured real-client sessions. */
function fixtureFrames(): Record<string, unknown>[] {
  const frames: Record<string, unknown>[] = [];
  for (const name of ["codex-0.125-workspace-write.jsonl", "codex-0.171-workspace-write.jsonl"]) {
    for (const line of readFileSync(join(FIXTURES, name), "utf8").split("\n")) {
      if (!line.trim()) continue;
      const entry = JSON.parse(line) as { dir: string; frame: Record<string, unknown> };
      if (entry.dir === "client→server") frames.push(entry.frame);
    }
  }
  return frames;
}

const env = { PATH: "/usr/bin:/bin", LANG: "C" };
const plainStarts: Record<string, unknown>[] = [
  { processId: "b1", argv: ["/bin/true"], cwd: "/tmp", env, tty: false, pipeStdin: false, arg0: null },
  { processId: "b2", argv: ["cat"], cwd: "/tmp", env, tty: true, pipeStdin: true, arg0: null },
  {
    processId: "p",
    argv: ["/bin/bash", "-lc", "echo é✓😀"],
    cwd: "file:///home/dev/project",
    env: {},
    tty: false,
    pipeStdin: false,
    arg0: "bash",
    envPolicy: { inherit: "all", ignoreDefaultExcludes: true, exclude: ["A*"], set: {}, includeOnly: [] },
    size: { rows: 24, cols: 80 },
    metadata: { threadId: "t", toolCallId: "c", nested: { a: [1] } },
    sandbox: null,
    enforceManagedNetwork: false,
    managedNetwork: null,
    networkProxy: { any: "thing" },
    unknownMember: 1,
  },
];

// Names an object already has (and integer-like names, which objects order first), a
// `__proto__` member at the top (JSON.parse makes it an own member; both parses drop it), a path
// to normalize, unknown members inside the nested objects.
plainStarts.push(
  ...[
    '{"processId":"p","argv":["a"],"cwd":"/","env":{"constructor":"x","toString":"y","1":"one","0":"z"},"tty":false}',
    '{"processId":"p","argv":["a"],"cwd":"/","env":{},"tty":false,"__proto__":{"pipeStdin":true}}',
    '{"processId":"p","argv":[],"cwd":"//a//b/../c/.","env":{},"tty":false,"arg0":"","size":{"rows":1,"cols":1,"x":3}}',
    '{"processId":"p","argv":["a"],"cwd":"/","env":{},"tty":false,"metadata":{"constructor":1},"envPolicy":{"inherit":"none","ignoreDefaultExcludes":false,"exclude":[],"set":{"1":"a"},"includeOnly":[],"extra":1}}',
  ].map((text) => JSON.parse(text) as Record<string, unknown>),
);

const fixtures = fixtureFrames();
const paramsOf = (method: string) =>
  fixtures.filter((frame) => frame.method === method).map((frame) => frame.params as Record<string, unknown>);

const plainParams: Record<string, Record<string, unknown>[]> = {
  initialize: [
    { clientName: "codex" },
    { clientName: "", resumeSessionId: "s-1", outputFromNotifications: true },
    { clientName: "c", resumeSessionId: null, outputFromNotifications: null, extra: [1] },
    ...paramsOf("initialize"),
  ],
  "process/start": [...plainStarts, ...paramsOf("process/start")],
  "process/write": [
    { processId: "p", chunk: "eAo=" },
    { processId: "p", chunk: "", writeId: "1" },
    { processId: "p", chunk: "eAo=", writeId: null },
    ...paramsOf("process/write"),
  ],
  "process/read": [
    { processId: "p" },
    { processId: "p", afterSeq: 3, maxBytes: null, waitMs: 0 },
    ...paramsOf("process/read"),
  ],
  "process/terminate": [
    { processId: "p" },
    { processId: "p", extra: true },
    ...paramsOf("process/terminate"),
  ],
  "fs/readFile": [
    { path: "/tmp/x" },
    { path: "file:///tmp/a%20b/../c", maxBytes: 10, sandbox: null },
    { path: "//a/./b", maxBytes: null, extra: 1 },
    ...paramsOf("fs/readFile"),
  ],
  "fs/writeFile": [
    { path: "/tmp/x", dataBase64: "eAo=" },
    { path: "file:///tmp/y", dataBase64: "not base64: the handler decides", sandbox: null, extra: [] },
    ...paramsOf("fs/writeFile"),
  ],
  "fs/getMetadata": [
    { path: "/tmp" },
    { path: "file:///", sandbox: null, extra: {} },
    ...paramsOf("fs/getMetadata"),
  ],
  "fs/readDirectory": [{ path: "/tmp/" }, { path: "file:///tmp/x/..", sandbox: null }],
};

/** Values that are wrong, or right, for some member or other. */
const ODD: unknown[] = [
  null,
  0,
  -1,
  1.5,
  2 ** 53,
  -0,
  true,
  "",
  "x",
  "=",
  "a=b",
  "\0",
  "a\0b",
  "\ud800",
  "/",
  "/a/../b/",
  "relative",
  "file:///tmp/x%20y",
  "file://host/x",
  "http://x/y",
  "eAo",
  "eAo=",
  "all",
  "core",
  "nope",
  [],
  ["x"],
  ["\0"],
  [1],
  {},
  { a: "b" },
  { "": "x" },
  { "a=b": "x" },
  { a: 1 },
  { a: "\ud800" },
  { rows: 1, cols: 65535 },
  { rows: 0, cols: 80 },
  { rows: 24, cols: 65536 },
  { rows: 1.5, cols: 2 },
  { inherit: "all", ignoreDefaultExcludes: false, exclude: [], set: {}, includeOnly: [] },
  { inherit: "core", ignoreDefaultExcludes: true, exclude: ["\0"], set: { A: "b" }, includeOnly: ["P*"] },
  { inherit: "x", ignoreDefaultExcludes: false, exclude: [], set: {}, includeOnly: [] },
  { inherit: "all", ignoreDefaultExcludes: false, exclude: [1], set: {}, includeOnly: [] },
  { inherit: "all", ignoreDefaultExcludes: false, exclude: [], set: { "": "x" }, includeOnly: [] },
  { inherit: "all", ignoreDefaultExcludes: false, exclude: [], set: {} },
  { permissions: { type: "disabled" } },
  { permissions: "nope" },
];

/** JSON.parse's view of a value (what the server is given): `__proto__` as an own member. */
const PROTO_OBJECTS = ['{"__proto__":"x"}', '{"a":"b","__proto__":{"c":1}}'].map((text) => JSON.parse(text));

/** The input with one member removed, or set to each odd value, as JSON would carry it. */
function variants(input: Record<string, unknown>): unknown[] {
  const out: unknown[] = [input];
  const keys = [...Object.keys(input), "missing"];
  for (const key of keys) {
    const { [key]: _, ...without } = input;
    out.push(without);
    for (const value of [...ODD, ...PROTO_OBJECTS]) out.push({ ...input, [key]: value });
    const member = input[key];
    // One level down: a member of an object member changed or removed (env, envPolicy, size...).
    if (member && typeof member === "object" && !Array.isArray(member)) {
      const inner = member as Record<string, unknown>;
      for (const innerKey of [...Object.keys(inner), "extra"]) {
        const { [innerKey]: __, ...innerWithout } = inner;
        out.push({ ...input, [key]: innerWithout });
        for (const value of ODD.slice(0, 30)) out.push({ ...input, [key]: { ...inner, [innerKey]: value } });
      }
    }
  }
  // Through JSON, except for the objects holding a `__proto__` member (JSON.stringify keeps
  // it, and JSON.parse makes it an own member again).
  return out.map((value) => JSON.parse(JSON.stringify(value)));
}

/** The fast answer, if any, is zod's success, member for member and in order. */
function expectAgrees(fast: unknown, schema: z.ZodType, input: unknown): void {
  if (fast === undefined) return;
  const parsed = schema.safeParse(input);
  expect(parsed.success).toBe(true);
  expect(fast).toStrictEqual(parsed.data as object);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(parsed.data));
}

for (const [method, inputs] of Object.entries(plainParams)) {
  const fast = FAST_PARAMS[method] as (params: unknown) => unknown;
  const schema = METHODS[method as Method].params as z.ZodType;

  test(`${method}: plain params take the fast path, with zod's value`, () => {
    expect(inputs.length).toBeGreaterThan(1);
    for (const input of inputs) {
      const value = fast(input);
      expect(value).toBeDefined();
      expectAgrees(value, schema, input);
    }
  });

  test(`${method}: every changed member is zod's value or left to zod`, () => {
    let checked = 0;
    let refused = 0;
    for (const input of inputs.slice(0, 6)) {
      for (const variant of variants(input)) {
        const value = fast(variant);
        expectAgrees(value, schema, variant);
        checked++;
        // What zod refuses, the fast path must leave to it (so the error is zod's).
        if (!schema.safeParse(variant).success) {
          expect(value).toBeUndefined();
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(checked).toBeGreaterThan(refused);
  });
}

test("fast params take only objects", () => {
  for (const fast of Object.values(FAST_PARAMS)) {
    for (const input of [undefined, null, [], "x", 1, true]) expect(fast?.(input)).toBeUndefined();
  }
});

test("the envelope: plain frames take the fast path, every variant agrees with the schemas", () => {
  const ids = [1, 0, -0, -5, 2 ** 53 - 1, 2 ** 53, 1.5, "a", "", null, true, [], {}];
  const members = [undefined, null, "process/start", "", 1, {}];
  let fastCount = 0;
  const frames: Record<string, unknown>[] = [...fixtures];
  for (const id of ids) {
    for (const method of members) {
      for (const params of [undefined, null, {}, [1], "x"]) {
        const frame: Record<string, unknown> = { id, method, params };
        frames.push(frame, { id, method }, { method, params }, { id, result: params }, { id });
        frames.push({ id, error: { code: 1, message: "m" } }, { jsonrpc: "2.0", id, method, params });
      }
    }
  }
  for (const raw of frames) {
    const value = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
    if ("method" in value && "id" in value) {
      const fast = fastRequest(value);
      expectAgrees(fast, RpcRequest, value);
      if (fast) fastCount++;
      if (!RpcRequest.safeParse(value).success) expect(fast).toBeUndefined();
    } else if ("method" in value) {
      const fast = fastNotification(value);
      expectAgrees(fast, RpcNotification, value);
      if (!RpcNotification.safeParse(value).success) expect(fast).toBeUndefined();
    } else {
      const fast = fastResponse(value);
      expectAgrees(fast, RpcResponse, value);
      if (!RpcResponse.safeParse(value).success) expect(fast).toBeUndefined();
    }
  }
  expect(fastCount).toBeGreaterThan(100);
  for (const frame of fixtures) {
    if ("method" in frame && "id" in frame) expect(fastRequest(frame)).toBeDefined();
    else if ("method" in frame) expect(fastNotification(frame)).toBeDefined();
  }
});
