// Guards "nothing left running" (hardening §3): terminate, session expiry, SIGTERM and SIGINT each
// leave zero descendants — grandchildren, great-grandchildren, a setsid'd subtree and an orphaned
// setsid daemon — and no zombies under the server.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { listProcesses } from "../../src/process/family.ts";
import { TestClient } from "../support/client.ts";
import { type CliServer, startCli } from "../support/harness.ts";
import { sh } from "../support/process.ts";
import { waitFor } from "../support/wait.ts";

/** A family whose every member runs `sleep <tag>`, so /proc can find them by command line. */
function familyScript(tag: string): string {
  return [
    `sleep ${tag} &`, // grandchild
    `sh -c 'sleep ${tag} & wait' &`, // grandchild with a great-grandchild
    `setsid sh -c 'sleep ${tag} & wait' &`, // a subtree in a new session (out of the process group)
    `(setsid sh -c 'sleep ${tag} & wait' &)`, // an orphaned daemon: its parent subshell is gone
    "echo ready; wait",
  ].join("\n");
}

/** Live (non-zombie) processes whose command line contains the tag. */
function withTag(tag: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "latin1");
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (cmdline.includes(tag) && state !== "Z") pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

const zombiesUnder = (pid: number) => listProcesses().filter((p) => p.ppid === pid && p.state === "Z");

let counter = 0;
const newTag = () => `${3000 + (process.pid % 1000)}.${Date.now() % 100000}${++counter}`;

async function startFamily(server: CliServer, client: TestClient, tty = false) {
  const tag = newTag();
  const params = sh(familyScript(tag), { tty });
  await client.call("process/start", params);
  await waitFor(
    () => client.outputOf(params.processId).toString().includes("ready") && withTag(tag).length >= 8,
    {
      label: `the family of ${tag} to be up`,
    },
  );
  expect(server.process.pid).toBeGreaterThan(0);
  return { tag, params };
}

describe.each([false, true])("tty %p", (tty) => {
  test("process/terminate leaves no descendant", async () => {
    await using server = await startCli();
    await using client = await TestClient.session(server.url);
    const { tag, params } = await startFamily(server, client, tty);
    expect(await client.call("process/terminate", { processId: params.processId })).toEqual({
      running: true,
    });
    await waitFor(() => withTag(tag).length === 0, { label: `no process of ${tag}` });
    await client.waitForClosed(params.processId);
    await waitFor(() => zombiesUnder(server.process.pid).length === 0, {
      label: "no zombie under the server",
    });
  });

  test("session expiry leaves no descendant", async () => {
    await using server = await startCli(["--session-ttl-ms", "100"]);
    const client = await TestClient.session(server.url);
    const { tag } = await startFamily(server, client, tty);
    await client.close();
    await waitFor(() => withTag(tag).length === 0, { label: `no process of ${tag}` });
    await waitFor(() => zombiesUnder(server.process.pid).length === 0, {
      label: "no zombie under the server",
    });
  });
});

describe.each(["SIGTERM", "SIGINT"] as const)("%s", (signal) => {
  test("shutdown leaves no descendant of any session", async () => {
    await using server = await startCli();
    const tags: string[] = [];
    for (const tty of [false, true]) {
      const client = await TestClient.session(server.url);
      tags.push((await startFamily(server, client, tty)).tag);
    }
    expect(await server.stop(signal)).toBe(0);
    // The server waited for the kills before exiting: nothing is left even right after.
    expect(tags.flatMap(withTag)).toEqual([]);
  });
});
