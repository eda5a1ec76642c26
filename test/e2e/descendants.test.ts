// Guards "nothing left running" (hardening §3): terminate, session expiry, SIGTERM and SIGINT each
// leave zero descendants — grandchildren, great-grandchildren, a setsid'd subtree and an orphaned
// setsid daemon with a scrubbed environment — and no zombies under the server. The last is found
// by its cgroup (--cgroups on, or auto where the host mounts cgroup2 with favordynmods); with
// --cgroups off (or a host that allows none) it outlives a terminate (SECURITY.md says so) and
// dies when the server shuts down.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { ownCgroupDirectory } from "../../src/process/cgroup.ts";
import { listProcesses } from "../../src/process/family.ts";
import { hostAllowsCgroups } from "../support/cgroup.ts";
import { TestClient } from "../support/client.ts";
import { type CliServer, startCli } from "../support/harness.ts";
import { sh } from "../support/process.ts";
import { waitFor } from "../support/wait.ts";

/** A family whose every member runs `sleep <tag>`, so /proc can find them by command line. */
function familyScript(tag: string, escapeTag: string): string {
  return [
    `sleep ${tag} &`, // grandchild
    `sh -c 'sleep ${tag} & wait' &`, // grandchild with a great-grandchild
    `setsid sh -c 'sleep ${tag} & wait' &`, // a subtree in a new session (out of the process group)
    // An orphaned daemon out of the group and the session (its parent subshell is gone), with
    // nothing of ours in its environment.
    `(setsid env -i /bin/sh -c 'sleep ${escapeTag} & wait' >/dev/null 2>&1 &)`,
    "echo ready; wait",
  ].join("\n");
}

/** The server's own base group, which exists while it runs in cgroup mode. */
const baseGroupOf = (server: CliServer) => `${ownCgroupDirectory()}/codex-exec-server.${server.process.pid}`;

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

/**
 * Start a family. Where the server makes cgroups the orphaned daemon is found like the rest (its
 * tag is the family's); elsewhere, or when `separate`, it gets a tag of its own (`escapeTag`).
 */
async function startFamily(server: CliServer, client: TestClient, tty = false, separate = false) {
  const tag = newTag();
  const escapeTag = separate || !existsSync(baseGroupOf(server)) ? newTag() : tag;
  const params = sh(familyScript(tag, escapeTag), { tty });
  await client.call("process/start", params);
  const isApart = escapeTag !== tag;
  await waitFor(
    () =>
      client.outputOf(params.processId).toString().includes("ready") &&
      withTag(tag).length >= (isApart ? 6 : 8) &&
      withTag(escapeTag).length >= 2 &&
      // Orphaned already: adopted by the server, out of the program's tree.
      listProcesses().some((p) => p.ppid === server.process.pid && withTag(escapeTag).includes(p.pid)),
    { label: `the family of ${tag} to be up` },
  );
  return { tag, escapeTag, params };
}

/** Where the daemon was apart: it is gone once the server has shut down (it adopted it). */
async function expectEscapeGoneAtShutdown(server: CliServer, tag: string, escapeTag: string) {
  if (escapeTag === tag) return;
  expect(await server.stop("SIGTERM")).toBe(0);
  expect(withTag(escapeTag)).toEqual([]);
}

test("with --cgroups on, a server on a host that allows cgroups makes one per program, and empties them", async () => {
  const allowed = hostAllowsCgroups();
  await using server = await startCli(["--cgroups", "on"]);
  await using client = await TestClient.session(server.url);
  const params = sh("cat /proc/self/cgroup");
  await client.call("process/start", params);
  await client.waitForClosed(params.processId);
  const cgroupLine = client
    .outputOf(params.processId)
    .toString()
    .split("\n")
    .find((line) => line.startsWith("0::"));
  const base = baseGroupOf(server);
  expect(existsSync(base)).toBe(allowed);
  if (!allowed) return;
  expect(`${ownCgroupDirectory()}${cgroupLine?.slice(3)}`.startsWith(`${base}/`)).toBe(true);
  // The program has closed: its group is empty (kept for the next program); the base goes with
  // the server.
  const groups = () => readdirSync(base, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  expect(groups().length).toBeGreaterThan(0);
  await waitFor(
    () =>
      groups().every((entry) =>
        readFileSync(`${base}/${entry.name}/cgroup.events`, "latin1").includes("populated 0"),
      ),
    { label: "the program's group empty" },
  );
  expect(await server.stop("SIGTERM")).toBe(0);
  expect(existsSync(base)).toBe(false);
});

test("with --cgroups off, what escapes the group, the session and the tree dies at shutdown", async () => {
  await using server = await startCli(["--cgroups", "off"]);
  await using client = await TestClient.session(server.url);
  const { tag, escapeTag, params } = await startFamily(server, client, false, true);
  await client.call("process/terminate", { processId: params.processId });
  await waitFor(() => withTag(tag).length === 0, { label: `no process of ${tag}` });
  // The documented escape: out of reach of a terminate without a cgroup...
  expect(withTag(escapeTag).length).toBeGreaterThan(0);
  // ...but adopted by the server (a subreaper), which kills it when it shuts down.
  await expectEscapeGoneAtShutdown(server, tag, escapeTag);
}, 15_000);

describe.each([
  [false, "on"],
  [true, "on"],
  [false, "auto"],
  [true, "auto"],
])("tty %p, --cgroups %s", (tty, cgroups) => {
  test("process/terminate leaves no descendant", async () => {
    await using server = await startCli(["--cgroups", cgroups]);
    await using client = await TestClient.session(server.url);
    const { tag, escapeTag, params } = await startFamily(server, client, tty);
    expect(await client.call("process/terminate", { processId: params.processId })).toEqual({
      running: true,
    });
    await waitFor(() => withTag(tag).length === 0, { label: `no process of ${tag}` });
    await client.waitForClosed(params.processId);
    await waitFor(() => zombiesUnder(server.process.pid).length === 0, {
      label: "no zombie under the server",
    });
    await expectEscapeGoneAtShutdown(server, tag, escapeTag);
  });

  test("session expiry leaves no descendant", async () => {
    await using server = await startCli(["--session-ttl-ms", "100", "--cgroups", cgroups]);
    const client = await TestClient.session(server.url);
    const { tag, escapeTag } = await startFamily(server, client, tty);
    await client.close();
    await waitFor(() => withTag(tag).length === 0, { label: `no process of ${tag}` });
    await waitFor(() => zombiesUnder(server.process.pid).length === 0, {
      label: "no zombie under the server",
    });
    await expectEscapeGoneAtShutdown(server, tag, escapeTag);
  });
});

describe.each([
  ["SIGTERM", "on"],
  ["SIGINT", "auto"],
] as const)("%s, --cgroups %s", (signal, cgroups) => {
  test("shutdown leaves no descendant of any session", async () => {
    await using server = await startCli(["--cgroups", cgroups]);
    const tags: string[] = [];
    for (const tty of [false, true]) {
      const client = await TestClient.session(server.url);
      const { tag, escapeTag } = await startFamily(server, client, tty);
      tags.push(tag, escapeTag);
    }
    expect(await server.stop(signal)).toBe(0);
    // The server waited for the kills before exiting: nothing is left even right after.
    expect(tags.flatMap(withTag)).toEqual([]);
  });
});
