// Guards the server's logs: --log-format json is one JSON object per line; at info each process
// start (argv[0] only) and exit (code, signal, duration), and each session's start, detach,
// resume and end; a session whose client left normally ends at info, not as a warning.
import { expect, test } from "bun:test";
import { TestClient } from "../support/client.ts";
import { runCli, startCli } from "../support/harness.ts";
import { run, sh } from "../support/process.ts";
import { waitFor } from "../support/wait.ts";

type Line = Record<string, unknown> & { level: string; msg: string };

test("json lines for every lifecycle event, never a program's arguments", async () => {
  await using server = await startCli(["--log-format", "json", "--session-ttl-ms", "50"]);
  let stderr = "";
  const collected = (async () => {
    for await (const chunk of server.process.stderr) stderr += new TextDecoder().decode(chunk);
  })();
  const client = await TestClient.session(server.url);
  await run(client, sh("echo the-secret-argument; exit 3"));
  await client.close();
  const resumed = await TestClient.session(server.url, client.sessionId);
  await resumed.close();
  await waitFor(() => stderr.includes('"msg":"session ended"'), { label: "the session to end" });
  expect(await server.stop()).toBe(0);
  await collected;
  expect(stderr).not.toContain("the-secret-argument");
  const lines = stderr
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Line);
  const short = `${client.sessionId.slice(0, 8)}…`;
  const of = (msg: string) => lines.filter((line) => line.msg === msg && line.session === short);
  expect(of("process started")).toEqual([
    expect.objectContaining({ level: "info", component: "process", program: "/bin/sh", tty: false }),
  ]);
  expect(of("process exited")).toEqual([
    expect.objectContaining({ level: "info", exitCode: 3, signal: null, durationMs: expect.any(Number) }),
  ]);
  expect(of("session created")).toHaveLength(1);
  expect(of("session resumed")).toHaveLength(1);
  expect(of("session detached").length).toBeGreaterThanOrEqual(2);
  expect(of("session ended")).toEqual([
    expect.objectContaining({ level: "info", component: "sessions", reason: "client left" }),
  ]);
  expect(lines.filter((line) => line.level === "warn")).toEqual([]);
  for (const line of lines) expect(typeof line.time).toBe("string");
});

test("a bad --log-format is a usage mistake", async () => {
  const result = await runCli(["--log-format", "xml"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toBe(
    "codex-exec-server: invalid --log-format value 'xml': expected one of text, json\n",
  );
});

test("every event is a line of its own, however often it repeats", async () => {
  await using server = await startCli(["--log-format", "json"]);
  let stderr = "";
  const collected = (async () => {
    for await (const chunk of server.process.stderr) stderr += new TextDecoder().decode(chunk);
  })();
  const metrics = server.url.replace(/^ws:/, "http:").replace(/\/?$/, "/metrics");
  for (let i = 0; i < 12; i++) {
    const response = await fetch(metrics, { headers: { Origin: "http://evil.example" } });
    expect(response.status).toBe(403);
  }
  const refusals = () => stderr.split("\n").filter((line) => line.includes('"msg":"metrics refused"'));
  await waitFor(() => refusals().length >= 12, { label: "a line for each refusal" });
  expect(await server.stop()).toBe(0);
  await collected;
  expect(refusals()).toHaveLength(12);
  expect(stderr).not.toContain("repeated");
});
