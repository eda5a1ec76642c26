// Guards SPEC §7 (cloud mode) through the fake service against the real CLI: flags, sign-in,
// registration and its errors, the 401/403 recovery, and serving the rendezvous with resume.
import { describe, expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { type AuthFields, authJson, type CodexHome, codexHome, fakeJwt } from "../support/codex-auth.ts";
import { FakeCloud, type FakeCloudOptions, RENDEZVOUS_SIGNATURE } from "../support/fake-cloud.ts";
import { runCli, startCloudCli } from "../support/harness.ts";
import { read, sh, startFamily } from "../support/process.ts";
import { tempDir } from "../support/tmp.ts";
import { isAlive, waitFor } from "../support/wait.ts";

const REGISTERED = /cloud executor (\S+) registered in environment (\S+)/;

function cloudEnv(fake: FakeCloud, home: CodexHome, env: Record<string, string> = {}) {
  return {
    CODEX_HOME: home.path,
    CODEX_REFRESH_TOKEN_URL_OVERRIDE: fake.tokenUrl,
    CODEX_CLOUD_ENVIRONMENTS_BASE_URL: "",
    CODEX_EXEC_SERVER_CLOUD_BACKOFF_BASE_MS: "20",
    CODEX_EXEC_SERVER_CLOUD_BACKOFF_MAX_MS: "200",
    CODEX_EXEC_SERVER_CLOUD_REQUEST_TIMEOUT_MS: "5000",
    CODEX_EXEC_SERVER_LOG_LEVEL: "info",
    ...env,
  };
}

/** Start the executor against the fake and wait for its first registration. */
async function startExecutor(
  fake: FakeCloud,
  home: CodexHome,
  args: string[] = [],
  env: Record<string, string> = {},
) {
  const cli = startCloudCli(
    ["--cloud-base-url", fake.url, "--cloud-name", "test-host", ...args],
    cloudEnv(fake, home, env),
  );
  await cli.waitForStderr(REGISTERED, "the registration log line");
  return cli;
}

/** Run the executor to its exit (for the failure paths). */
function runExecutor(
  fake: FakeCloud,
  home: CodexHome,
  args: string[] = [],
  env: Record<string, string> = {},
) {
  return runCli(["--cloud", "--cloud-base-url", fake.url, ...args], cloudEnv(fake, home, env));
}

function expectOneLineError(result: { stdout: string; stderr: string; code: number }, code: number) {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe("");
  // Log lines (info, warn; consola's basic or fancy format) may come first; the error is one line.
  const lines = result.stderr.trim().split("\n");
  const isLog = (line: string) => line === "" || /^\d{4}-\d\d-\d\dT[\d:.]+Z (INFO|WARN) /.test(line);
  expect(lines.filter((line) => !isLog(line))).toHaveLength(1);
  expect(lines.at(-1)).toStartWith("codex-exec-server: ");
  expect(result.stderr).not.toContain("access-");
  expect(result.stderr).not.toContain("refresh-");
}

function setup(
  options: FakeCloudOptions = {},
  auth: AuthFields | Record<string, unknown> | string | null = {},
) {
  const fake = new FakeCloud(options);
  const content =
    auth === null || typeof auth === "string" || "tokens" in auth || "OPENAI_API_KEY" in auth
      ? (auth as Record<string, unknown> | string | null)
      : authJson(auth as AuthFields);
  const home = codexHome(content);
  return { fake, home };
}

const idempotencyIds = (fake: FakeCloud) =>
  fake.registrations.map((r) => (r.body as { idempotency_id: string }).idempotency_id);

const delaysOf = (stderr: string) => [...stderr.matchAll(/"delayMs":(\d+)/g)].map((m) => Number(m[1]));

describe("flags", () => {
  test.each([
    [
      ["--cloud"],
      "--cloud needs the service URL: pass --cloud-base-url URL or set CODEX_CLOUD_ENVIRONMENTS_BASE_URL",
    ],
    [["--cloud", "--cloud-base-url", "  /  "], "--cloud needs the service URL"],
    [["--cloud", "--cloud-base-url", "ftp://127.0.0.1:1"], "invalid cloud base URL 'ftp://127.0.0.1:1'"],
    [["--cloud-base-url", "http://127.0.0.1:1"], "--cloud-base-url needs --cloud"],
    [
      ["--cloud", "--listen", "ws://127.0.0.1:0", "--cloud-base-url", "http://127.0.0.1:1"],
      "--listen cannot be used with --cloud",
    ],
    [["--cloud", "--cloud-base-url", "http://127.0.0.1:1", "--cloud-name", " "], "invalid --cloud-name"],
    [
      [
        "--cloud",
        "--cloud-base-url",
        "http://127.0.0.1:1",
        "--cloud-backoff-base-ms",
        "100",
        "--cloud-backoff-max-ms",
        "10",
      ],
      "invalid cloud backoff",
    ],
    [
      ["--cloud", "--cloud-base-url", "http://127.0.0.1:1", "--cloud-request-timeout-ms", "0"],
      "invalid --cloud-request-timeout-ms value '0'",
    ],
  ])("%p is a one-line usage error, exit 2", async (args, message) => {
    const result = await runCli(args, { CODEX_CLOUD_ENVIRONMENTS_BASE_URL: "" });
    expectOneLineError(result, 2);
    expect(result.stderr).toContain(message);
  });

  test("--help lists the cloud flags", async () => {
    const help = await runCli(["--help"]);
    for (const flag of ["--cloud", "--cloud-base-url", "--cloud-environment-id", "--cloud-name"]) {
      expect(help.stdout).toMatch(new RegExp(`${flag}\\b(?!-)`));
    }
  });
});

describe("sign-in", () => {
  const withoutClaim = fakeJwt({ email: "dev@example.com" });
  test.each([
    [
      "no auth.json",
      null,
      "no Codex sign-in found at HOME/auth.json: run `codex login` to sign in with ChatGPT",
    ],
    ["unreadable JSON", "{not json", "cannot parse HOME/auth.json: not valid JSON; run `codex login`"],
    [
      "API-key mode",
      { auth_mode: "apikey", OPENAI_API_KEY: "sk-access-secret" },
      "HOME/auth.json holds an API key sign-in, which is not supported for cloud environments",
    ],
    [
      "API key without auth_mode",
      { OPENAI_API_KEY: "sk-access-secret", tokens: null },
      "holds an API key sign-in",
    ],
    [
      "no access token",
      { auth_mode: "chatgpt", tokens: { refresh_token: "refresh-1", account_id: "acct-1" } },
      "HOME/auth.json has no ChatGPT access token: run `codex login`",
    ],
    [
      "no account id anywhere",
      { auth_mode: "chatgpt", tokens: { access_token: "access-1", id_token: withoutClaim } },
      "HOME/auth.json has no ChatGPT account id: run `codex login`",
    ],
    [
      "a garbled id_token and no account id",
      { auth_mode: "chatgpt", tokens: { access_token: "access-1", id_token: "x.%%%.y" } },
      "has no ChatGPT account id",
    ],
  ])("%s: a one-line error, exit 1, nothing sent", async (_, content, message) => {
    const { fake, home } = setup({}, content);
    await using _fake = fake;
    using _home = home;
    const result = await runExecutor(fake, home);
    expectOneLineError(result, 1);
    expect(result.stderr).toContain(message.replace("HOME", home.path));
    expect(fake.registrations).toEqual([]);
  });

  test("the account id falls back to the id_token claim", async () => {
    const { fake, home } = setup({ accountId: "acct-from-claim" }, { claimAccountId: "acct-from-claim" });
    await using _fake = fake;
    using _home = home;
    await using _cli = await startExecutor(fake, home);
    expect(fake.registrations[0]?.headers["chatgpt-account-id"]).toBe("acct-from-claim");
  });

  test("tokens.account_id wins over the claim", async () => {
    const { fake, home } = setup(
      { accountId: "acct-field" },
      { accountId: "acct-field", claimAccountId: "other" },
    );
    await using _fake = fake;
    using _home = home;
    await using _cli = await startExecutor(fake, home);
    expect(fake.registrations[0]?.headers["chatgpt-account-id"]).toBe("acct-field");
  });
});

describe("registration", () => {
  test("request shape, headers and the registered log line", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    await using cli = await startExecutor(fake, home, ["--cloud-environment-id", "env-7"]);
    expect(fake.registrations).toHaveLength(1);
    const [request] = fake.registrations;
    expect(request?.path).toBe("/api/cloud/executor");
    expect(request?.headers).toMatchObject({
      authorization: "Bearer access-1",
      "chatgpt-account-id": "acct-1",
      "content-type": "application/json",
    });
    expect(request?.body).toEqual({
      idempotency_id: expect.stringMatching(/^codex-exec-server-[0-9a-f]{64}$/),
      environment_id: "env-7",
      name: "test-host",
      labels: {},
      metadata: {},
    });
    expect(cli.stderr()).toContain("cloud executor exec-1 registered in environment env-7");
    expect(cli.stderr()).not.toContain("access-1");
  });

  test("the name defaults to the host name and environment_id is left out", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    const cli = startCloudCli(["--cloud-base-url", fake.url], cloudEnv(fake, home));
    await using _cli = cli;
    const [, id, environment] = await cli.waitForStderr(REGISTERED);
    expect([id, environment]).toEqual(["exec-1", "env-auto"]);
    expect(fake.registrations[0]?.body).toEqual({
      idempotency_id: expect.stringMatching(/^codex-exec-server-[0-9a-f]{64}$/),
      name: hostname(),
      labels: {},
      metadata: {},
    });
  });

  test("the idempotency id is stable within a run and new per run", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    {
      await using _cli = await startExecutor(fake, home);
      await waitFor(() => fake.isExecutorConnected("exec-1"), { label: "the first rendezvous" });
      fake.dropExecutor();
      await waitFor(() => fake.executorConnections.length === 2, { label: "the second rendezvous" });
    }
    await using _second = await startExecutor(fake, home);
    const [first, again, nextRun] = idempotencyIds(fake);
    expect(idempotencyIds(fake)).toHaveLength(3);
    expect(again).toBe(first as string);
    expect(nextRun).not.toBe(first as string);
  });

  test("base URL from CODEX_CLOUD_ENVIRONMENTS_BASE_URL, trimmed, with its path prefix", async () => {
    const { fake, home } = setup({ pathPrefix: "/backend-api/v1" });
    await using _fake = fake;
    using _home = home;
    const cli = startCloudCli(
      [],
      cloudEnv(fake, home, { CODEX_CLOUD_ENVIRONMENTS_BASE_URL: `  ${fake.url}/backend-api/v1//  ` }),
    );
    await using _cli = cli;
    await cli.waitForStderr(REGISTERED);
    expect(fake.registrations.map((r) => r.path)).toEqual(["/backend-api/v1/api/cloud/executor"]);
  });

  test("--cloud-base-url wins over the environment and keeps its path prefix", async () => {
    const { fake, home } = setup({ pathPrefix: "/prefix" });
    await using _fake = fake;
    using _home = home;
    const cli = startCloudCli(
      ["--cloud-base-url", ` ${fake.url}/prefix/ `],
      cloudEnv(fake, home, { CODEX_CLOUD_ENVIRONMENTS_BASE_URL: "http://127.0.0.1:1" }),
    );
    await using _cli = cli;
    await cli.waitForStderr(REGISTERED);
    expect(fake.registrations.map((r) => r.path)).toEqual(["/prefix/api/cloud/executor"]);
  });

  test.each([
    [
      { status: 409, body: { error: { code: "no_online_executor", message: "no executor is online" } } },
      "cloud environments request failed (409 Conflict, no_online_executor): no executor is online",
    ],
    [
      { status: 500, body: "upstream\n  exploded" },
      "cloud environments request failed (500 Internal Server Error): upstream exploded",
    ],
    [
      { status: 502, body: "" },
      "cloud environments request failed (502 Bad Gateway): empty or malformed error body",
    ],
    [
      { status: 404, body: { error: { code: "not_found" } } },
      'cloud environments request failed (404 Not Found, not_found): {"error":{"code":"not_found"}}',
    ],
    [
      { status: 200, body: { id: "exec-1", url: "ws://127.0.0.1:1/x" } },
      "cloud environments request failed (200 OK): invalid registration answer: environment_id:",
    ],
    [
      { status: 201, body: { id: "exec-1", environment_id: "e", url: "http://127.0.0.1:1/x" } },
      "cloud environments request failed (201 Created): invalid registration answer: url: expected a ws:// or wss:// URL",
    ],
    [{ status: 200, body: "<html>" }, "cloud environments request failed (200 OK): the answer is not JSON"],
  ])("%p ends the run with exit 1 and one line", async (response, message) => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    fake.scriptRegistry(response);
    const result = await runExecutor(fake, home);
    expectOneLineError(result, 1);
    expect(result.stderr).toContain(`codex-exec-server: ${message}`);
    expect(fake.registrations).toHaveLength(1);
  });

  test("a registry that is down at start: a clear error, exit 1", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const result = await runCli(["--cloud", "--cloud-base-url", url], cloudEnv(fake, home));
    expectOneLineError(result, 1);
    expect(result.stderr).toContain(
      `cloud environments request failed: cannot reach ${url}/api/cloud/executor:`,
    );
  });

  test("a hung registry times out: exit 1", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    fake.scriptRegistry({ status: 200, delayMs: 20_000 });
    const result = await runExecutor(fake, home, [], { CODEX_EXEC_SERVER_CLOUD_REQUEST_TIMEOUT_MS: "300" });
    expectOneLineError(result, 1);
    expect(result.stderr).toContain(
      `cloud environments request failed: ${fake.url}/api/cloud/executor did not answer within 300 ms`,
    );
  });
});

describe("401/403 recovery", () => {
  test("401, then success with the auth.json another process wrote meanwhile (no refresh)", async () => {
    const { fake, home } = setup({ acceptedTokens: ["access-2"] });
    await using _fake = fake;
    using _home = home;
    fake.scriptRegistry({
      status: 401,
      body: { error: { code: "token_expired", message: "expired" } },
      before: () => home.write(authJson({ accessToken: "access-2", refreshToken: "refresh-2" })),
    });
    await using _cli = await startExecutor(fake, home);
    expect(fake.registrations.map((r) => r.headers.authorization)).toEqual([
      "Bearer access-1",
      "Bearer access-2",
    ]);
    expect(fake.refreshRequests).toEqual([]);
  });

  test("401 with auth.json unchanged: refresh, write back atomically, retry", async () => {
    const { fake, home } = setup({ acceptedTokens: ["access-2"] });
    await using _fake = fake;
    using _home = home;
    const before = home.read();
    const idToken = fakeJwt({ "https://api.openai.com/auth": { chatgpt_account_id: "acct-1" }, n: 2 });
    fake.scriptRefresh({
      status: 200,
      body: { id_token: idToken, access_token: "access-2", refresh_token: "refresh-2" },
    });
    await using cli = await startExecutor(fake, home);
    expect(fake.refreshRequests.map((r) => r.body)).toEqual([
      {
        client_id: "app_EMoamEEZ73f0CkXaXp7hrann",
        grant_type: "refresh_token",
        refresh_token: "refresh-1",
        scope: "openid profile email",
      },
    ]);
    expect(fake.registrations.map((r) => r.headers.authorization)).toEqual([
      "Bearer access-1",
      "Bearer access-2",
    ]);
    const after = home.read();
    expect(after).toEqual({
      ...before,
      tokens: {
        ...(before.tokens as object),
        id_token: idToken,
        access_token: "access-2",
        refresh_token: "refresh-2",
      },
      last_refresh: expect.any(String),
    });
    expect(Date.parse(String(after.last_refresh))).toBeGreaterThan(Date.parse(String(before.last_refresh)));
    expect(statSync(home.authPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(home.path)).toEqual(["auth.json"]);
    expect(cli.stderr()).not.toContain("access-2");
  });

  test.each([401, 403])(
    "%d twice (refreshed token refused too): exit 1 with a clear message",
    async (status) => {
      const { fake, home } = setup();
      await using _fake = fake;
      using _home = home;
      const refused = {
        status,
        body: { error: { code: "invalid_token", message: "access token rejected" } },
      };
      fake.scriptRegistry(refused, refused);
      fake.scriptRefresh({ status: 200, body: { access_token: "access-2" } });
      const result = await runExecutor(fake, home);
      expectOneLineError(result, 1);
      const reason = status === 401 ? "401 Unauthorized" : "403 Forbidden";
      expect(result.stderr).toContain(
        `cloud environments request failed (${reason}, invalid_token): access token rejected; run \`codex login\` to sign in again`,
      );
      expect(fake.registrations).toHaveLength(2);
      expect(fake.refreshRequests).toHaveLength(1);
    },
  );

  test("a refused refresh token ends the run: exit 1, told to log in again", async () => {
    const { fake, home } = setup({ acceptedTokens: [] });
    await using _fake = fake;
    using _home = home;
    const result = await runExecutor(fake, home);
    expectOneLineError(result, 1);
    expect(result.stderr).toContain(
      "cannot refresh the ChatGPT access token (400 Bad Request): invalid_grant: unknown token; run `codex login`",
    );
    expect(fake.registrations).toHaveLength(1);
  });
});

describe("rendezvous", () => {
  test("serves initialize, processes and files end to end, without compression or leaked secrets", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    using dir = tempDir();
    await using cli = await startExecutor(fake, home);
    await using harness = await fake.harness();
    const { sessionId } = (await harness.call("initialize", { clientName: "harness" })) as {
      sessionId: string;
    };
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    harness.notify("initialized", {});
    const params = sh("echo out; echo err >&2; exit 3");
    await harness.call("process/start", params);
    await harness.waitForClosed(params.processId);
    expect(harness.outputOf(params.processId, "stdout").toString()).toBe("out\n");
    expect(harness.outputOf(params.processId, "stderr").toString()).toBe("err\n");
    expect(await read(harness, { processId: params.processId })).toMatchObject({ exited: true, exitCode: 3 });
    const path = join(dir.path, "hello.txt");
    const dataBase64 = Buffer.from("hello through the cloud").toString("base64");
    expect(await harness.call("fs/writeFile", { path, dataBase64 })).toEqual({});
    expect(await harness.call("fs/readFile", { path })).toEqual({ dataBase64 });
    // Binary frames carry JSON too, and garbage gets an error without closing anything.
    harness.sendRaw(
      new TextEncoder().encode(JSON.stringify({ id: "b1", method: "fs/getMetadata", params: { path } })),
    );
    harness.sendRaw("not json");
    await waitFor(() => harness.messages.find((m) => m.id === "b1"), { label: "the binary frame's answer" });
    await waitFor(() => harness.messages.find((m) => m.id === -1), { label: "the error for garbage" });
    expect(harness.isOpen).toBe(true);
    expect(fake.rendezvousAttempts).toEqual([{ id: "exec-1", extensions: null }]);
    expect(cli.stderr()).toContain("cloud rendezvous connected");
    expect(cli.stderr()).not.toContain(RENDEZVOUS_SIGNATURE);
    expect(cli.stderr()).not.toContain("access-1");
  });

  test.each(["executor", "harness"] as const)(
    "the %s side dropped mid-stream: re-register, reconnect, resume, no byte lost",
    async (side) => {
      const { fake, home } = setup();
      await using _fake = fake;
      using _home = home;
      await using cli = await startExecutor(fake, home);
      const first = await fake.harness();
      const { sessionId } = (await first.call("initialize", { clientName: "harness" })) as {
        sessionId: string;
      };
      first.notify("initialized", {});
      const lines = 400;
      const params = sh(`i=0; while [ $i -lt ${lines} ]; do echo line$i; i=$((i+1)); sleep 0.002; done`);
      await first.call("process/start", params);
      await waitFor(() => first.outputOf(params.processId).toString().includes("line20\n"), {
        label: "some output before the drop",
      });
      if (side === "executor") fake.dropExecutor();
      else fake.dropHarness();
      await first.close();
      const seen = first.eventsOf(params.processId).filter((n) => n.method === "process/output");
      const lastSeq = Math.max(...seen.map((n) => Number(n.params?.seq)));
      await waitFor(() => fake.executorConnections.length === 2, {
        label: "the executor back on the rendezvous",
      });
      const second = await fake.harness();
      await using _second = second;
      expect(await second.call("initialize", { clientName: "harness", resumeSessionId: sessionId })).toEqual({
        sessionId,
        environmentInfo: expect.any(Object),
      });
      second.notify("initialized", {});
      const chunks: Buffer[] = [];
      let after = lastSeq;
      for (;;) {
        const result = await read(second, { processId: params.processId, afterSeq: after, waitMs: 2000 });
        chunks.push(...result.chunks.map((c) => Buffer.from(c.chunk, "base64")));
        after = result.nextSeq - 1;
        if (result.closed && result.chunks.length === 0) break;
      }
      const before = Buffer.concat(
        seen
          .sort((a, b) => Number(a.params?.seq) - Number(b.params?.seq))
          .map((n) => Buffer.from(String(n.params?.chunk), "base64")),
      );
      const expected = Array.from({ length: lines }, (_, i) => `line${i}\n`).join("");
      expect(Buffer.concat([before, ...chunks]).toString()).toBe(expected);
      const ids = idempotencyIds(fake);
      expect(ids).toHaveLength(2);
      expect(ids[1]).toBe(ids[0] as string);
      expect(cli.stderr()).toMatch(/cloud rendezvous reconnecting \{"reason":"rendezvous closed \(\d+/);
      expect(cli.stderr()).not.toContain(RENDEZVOUS_SIGNATURE);
    },
  );

  test("backoff grows with consecutive failures up to the cap, and resets after a served connection", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    fake.refuseRendezvous(5);
    const env = {
      CODEX_EXEC_SERVER_CLOUD_BACKOFF_BASE_MS: "40",
      CODEX_EXEC_SERVER_CLOUD_BACKOFF_MAX_MS: "160",
    };
    await using cli = await startExecutor(fake, home, [], env);
    await waitFor(() => fake.isExecutorConnected("exec-1"), { label: "the rendezvous after 5 refusals" });
    const failing = delaysOf(cli.stderr());
    fake.refuseRendezvous(1);
    fake.dropExecutor();
    await waitFor(() => fake.executorConnections.length === 2, { label: "the rendezvous after the drop" });
    const all = delaysOf(cli.stderr());
    // Nominal 40, 80, 160, 160, 160 (the cap), then 40 after the served connection and 40 again
    // for the first failure after it; each spread by ±20 % and never above the cap.
    const nominal = [40, 80, 160, 160, 160, 40, 40];
    expect(failing).toHaveLength(5);
    expect(all).toHaveLength(nominal.length);
    all.forEach((delay, i) => {
      const n = nominal[i] as number;
      expect(delay).toBeGreaterThanOrEqual(Math.floor(n * 0.8));
      expect(delay).toBeLessThanOrEqual(Math.min(160, Math.ceil(n * 1.2)));
    });
    expect(fake.registrations).toHaveLength(8);
    expect(cli.stderr()).toContain("cannot connect to ws://127.0.0.1:");
  });

  test("after a served connection, a transient registration failure is retried", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    await using cli = await startExecutor(fake, home);
    await waitFor(() => fake.isExecutorConnected("exec-1"), { label: "the first rendezvous" });
    fake.scriptRegistry({ status: 503, body: { error: { code: "overloaded", message: "try later" } } });
    fake.dropExecutor();
    await waitFor(() => fake.executorConnections.length === 2, { label: "the rendezvous after the 503" });
    expect(cli.stderr()).toContain(
      "registration failed: cloud environments request failed (503 Service Unavailable, overloaded): try later",
    );
    expect(fake.registrations).toHaveLength(3);
  });

  test("after a served connection, a registration the service refuses for good ends the run", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    await using cli = await startExecutor(fake, home);
    await waitFor(() => fake.isExecutorConnected("exec-1"), { label: "the first rendezvous" });
    fake.scriptRegistry({
      status: 409,
      body: { error: { code: "conflict", message: "environment deleted" } },
    });
    fake.dropExecutor();
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain(
      "codex-exec-server: cloud environments request failed (409 Conflict, conflict): environment deleted",
    );
  });

  test.each(["SIGTERM", "SIGINT"] as const)(
    "%s ends the loop, kills managed processes, exit 0",
    async (signal) => {
      const { fake, home } = setup();
      await using _fake = fake;
      using _home = home;
      const cli = await startExecutor(fake, home);
      await using _cli = cli;
      await using harness = await fake.harness();
      await harness.call("initialize", { clientName: "harness" });
      harness.notify("initialized", {});
      const { grandchild, child } = await startFamily(harness);
      expect(await cli.stop(signal)).toBe(0);
      await waitFor(() => !isAlive(grandchild) && !isAlive(child), { label: "the managed processes to die" });
    },
  );

  test("SIGTERM while waiting to reconnect exits at once", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    fake.refuseRendezvous(1);
    const env = {
      CODEX_EXEC_SERVER_CLOUD_BACKOFF_BASE_MS: "60000",
      CODEX_EXEC_SERVER_CLOUD_BACKOFF_MAX_MS: "60000",
    };
    await using cli = await startExecutor(fake, home, [], env);
    await cli.waitForStderr(/cloud rendezvous reconnecting/);
    expect(await cli.stop("SIGTERM")).toBe(0);
  });
});

describe("half-open rendezvous", () => {
  test("a rendezvous that goes silent (half-open) is dropped by the keepalive and redialled", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    fake.silenceRendezvous(1);
    await using cli = await startExecutor(fake, home, ["--cloud-keepalive-ms", "100"]);
    await cli.waitForStderr(/no answer to a keepalive ping within 100 ms/);
    await waitFor(() => fake.isExecutorConnected("exec-1"), { label: "the redial to the live rendezvous" });
    expect(fake.silentConnections).toBe(1);
    expect(fake.registrations).toHaveLength(2);
    // A live rendezvous answers the pings: the connection stays up across several intervals.
    await using harness = await fake.harness();
    await harness.call("initialize", { clientName: "harness" });
    harness.notify("initialized", {});
    const params = sh("sleep 0.5; echo still here");
    await harness.call("process/start", params);
    await harness.waitForClosed(params.processId);
    expect(harness.outputOf(params.processId).toString()).toBe("still here\n");
    expect(fake.executorConnections).toHaveLength(1);
  });

  test("SIGTERM with a half-open rendezvous exits at once (no waiting for the closing handshake)", async () => {
    const { fake, home } = setup();
    await using _fake = fake;
    using _home = home;
    fake.silenceRendezvous(1);
    await using cli = await startExecutor(fake, home, ["--cloud-keepalive-ms", "60000"]);
    await cli.waitForStderr(/cloud rendezvous connected/);
    expect(fake.silentConnections).toBe(1);
    cli.process.kill("SIGTERM");
    await waitFor(() => cli.process.exitCode !== null, {
      label: "the executor to exit after SIGTERM",
      timeoutMs: 5000,
    });
    expect(cli.process.exitCode).toBe(0);
  });
});
