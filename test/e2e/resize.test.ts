// Guards process/resize [ext] (a PTY's window size, SIGWINCH to its group) and process/signal
// `interrupt`, on the wire, and exec's 80×24 for a terminal that reports 0×0.
import { afterAll, expect, test } from "bun:test";
import { cliCommand, startTestServer } from "../support/harness.ts";
import { sh } from "../support/process.ts";
import { waitFor } from "../support/wait.ts";

const server = startTestServer();
afterAll(() => server.stop());

test("process/resize changes a PTY's size; a pipe process has no terminal", async () => {
  await using client = await server.session();
  const info = (await client.call("environment/info", {})) as { capabilities: Record<string, boolean> };
  expect(info.capabilities.processResize).toBe(true);
  const params = sh("trap 'stty size' WINCH; echo ready; read x", {
    tty: true,
    size: { rows: 10, cols: 40 },
  });
  await client.call("process/start", params);
  await waitFor(() => client.outputOf(params.processId).toString().includes("ready"), { label: "ready" });
  expect(await client.call("process/resize", { processId: params.processId, rows: 30, cols: 100 })).toEqual(
    {},
  );
  await waitFor(() => client.outputOf(params.processId).toString().includes("30 100"), {
    label: "the new size seen by the program",
  });
  const pipe = sh("sleep 5");
  await client.call("process/start", pipe);
  await expect(
    client.call("process/resize", { processId: pipe.processId, rows: 5, cols: 5 }),
  ).rejects.toThrow(`process ${pipe.processId} has no terminal`);
  await expect(
    client.call("process/resize", { processId: pipe.processId, rows: 0, cols: 5 }),
  ).rejects.toThrow();
  await client.call("process/terminate", { processId: pipe.processId });
  await client.call("process/terminate", { processId: params.processId });
});

test("process/signal interrupt reaches the program's trap", async () => {
  await using client = await server.session();
  const params = sh("trap 'echo got-int; exit 3' INT; echo ready; while :; do sleep 0.05; done");
  await client.call("process/start", params);
  await waitFor(() => client.outputOf(params.processId).toString().includes("ready"), { label: "ready" });
  expect(await client.call("process/signal", { processId: params.processId, signal: "interrupt" })).toEqual(
    {},
  );
  await client.waitForClosed(params.processId);
  const exited = client.eventsOf(params.processId).find((e) => e.method === "process/exited");
  expect([client.outputOf(params.processId).toString(), exited?.params?.exitCode]).toEqual([
    "ready\ngot-int\n",
    3,
  ]);
});

test("exec --tty on a terminal that reports 0x0 uses 80x24", async () => {
  const command = [...cliCommand(), "exec", "--url", server.url, "-t", "stty", "size"]
    .map((word) => `'${word}'`)
    .join(" ");
  // script(1) gives exec a terminal; stty sets its size to 0x0 first.
  const child = Bun.spawn(["script", "-qec", `stty rows 0 cols 0; ${command}`, "/dev/null"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  expect(stdout).toContain("24 80");
  expect(code).toBe(0);
});
