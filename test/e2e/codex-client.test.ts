// Guards wire compatibility with a real Codex 0.125 client: every request shape it sends, as
// recorded in test/fixtures/codex-client-0.125.jsonl, is accepted and answered in the recorded shape.
import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer } from "../support/harness.ts";
import { tempDir } from "../support/tmp.ts";

type Recorded = {
  direction: "client->server" | "server->client";
  kind: "request" | "notification";
  method: string;
  params: Record<string, unknown>;
  result?: unknown;
};

const recorded: Recorded[] = (
  await Bun.file(new URL("../fixtures/codex-client-0.125.jsonl", import.meta.url)).text()
)
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line));

/** The recorded paths lived under /home/dev/project; ours live in a temp dir. */
function relocate(value: unknown, root: string): unknown {
  return JSON.parse(JSON.stringify(value).replaceAll("/home/dev/project", root));
}

/** A value's shape: the same keys and the same JSON types, recursively. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  }
  return value === null ? null : typeof value;
}

/** One message of each kind was recorded, not one session: create the directory before writing into it. */
function replayOrder(messages: Recorded[]): Recorded[] {
  const write = messages.findIndex((m) => m.method === "fs/writeFile");
  const mkdir = messages.findIndex((m) => m.method === "fs/createDirectory");
  const ordered = [...messages];
  if (write >= 0 && mkdir > write)
    [ordered[write], ordered[mkdir]] = [ordered[mkdir] as Recorded, ordered[write] as Recorded];
  return ordered;
}

test("every recorded client request gets the recorded result shape", async () => {
  using dir = tempDir();
  for (const sub of ["a", "c1"]) mkdirSync(join(dir.path, sub), { recursive: true });
  writeFileSync(join(dir.path, "c1/todelete.txt"), "x");
  writeFileSync(join(dir.path, "c1/existing.txt"), "old-line-675318f8\n");
  await using server = startTestServer();
  await using client = await server.connect();

  const requests = replayOrder(recorded.filter((r) => r.direction === "client->server"));
  expect(requests).toHaveLength(11);
  for (const message of requests) {
    const params = relocate(message.params, dir.path) as Record<string, unknown>;
    if (message.kind === "notification") {
      client.notify(message.method, params);
      continue;
    }
    if (message.method === "process/terminate") await client.waitForClosed(String(params.processId));
    if (message.method === "process/write") {
      // The recorded write went to an interactive process started earlier in that session.
      const reader = {
        processId: params.processId,
        argv: ["/bin/sh", "-c", "read x; echo $x"],
        cwd: "/",
        env: {},
        tty: false,
        pipeStdin: true,
        arg0: null,
      };
      await client.call("process/start", reader);
    }
    const response = await client.request(message.method, params);
    // Every recorded member, with its type; the members 0.169+ added (environmentInfo,
    // sandboxType, sandboxDenied, size) come on top, and a 0.125 client ignores them.
    expect({ method: message.method, result: shape(response.result) }).toMatchObject({
      method: message.method,
      result: shape(message.result),
    });
  }

  // The recorded notifications: output, exited and closed with one seq counter.
  const recordedNotifications = recorded.filter((r) => r.direction === "server->client");
  const processId = String(recordedNotifications[0]?.params.processId);
  const events = client.eventsOf(processId);
  for (const method of ["process/output", "process/exited", "process/closed"]) {
    const expected = recordedNotifications.find((r) => r.method === method);
    const actual = events.find((e) => e.method === method);
    expect({ method, params: shape(actual?.params) }).toMatchObject({
      method,
      params: shape(expected?.params),
    });
  }
  const stdout = client.outputOf(processId).toString();
  expect(stdout).toBe(`A-42-675318f8\n${join(dir.path, "a")}\n`);
  expect(events.map((e) => e.params?.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.at(-1)?.method).toBe("process/closed");
  // The filesystem requests did what they say.
  expect(await Bun.file(join(dir.path, "c1/newdir/sub/added.txt")).text()).toBe("added-675318f8\n");
  expect(await Bun.file(join(dir.path, "c1/todelete.txt")).exists()).toBe(false);
});
