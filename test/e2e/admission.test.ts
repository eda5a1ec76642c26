// Guards who may connect (issue: hardening §1): browser origins refused unless allowed, the
// capability token (missing/invalid → 401, never logged), the loopback rule, /readyz.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveServeOptions } from "../../src/cli/serve-options.ts";
import { ExecServerClient } from "../../src/rpc/client.ts";
import { startCli, startTestServer } from "../support/harness.ts";
import { RawWebSocket } from "../support/raw-ws.ts";
import { tempDir } from "../support/tmp.ts";

const TOKEN = "correct-horse-battery-staple-7f3a";
const digest = createHash("sha256").update(TOKEN).digest();

/** The HTTP answer to a websocket upgrade request with these headers. */
async function upgradeStatus(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  try {
    await using _ws = asDisposable(await RawWebSocket.connect(url, { headers }));
    return { status: 101, body: "" };
  } catch (error) {
    const text = String((error as Error).message);
    const status = Number(/HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    return { status, body: text };
  }
}

function asDisposable(ws: RawWebSocket) {
  return Object.assign(ws, { [Symbol.asyncDispose]: async () => ws.destroy() });
}

describe("origins", () => {
  test("a browser Origin is refused with 403 unless allowed", async () => {
    await using server = startTestServer({ allowedOrigins: ["https://ok.example"] });
    expect((await upgradeStatus(server.url, { Origin: "http://evil.example" })).status).toBe(403);
    expect((await upgradeStatus(server.url, { Origin: "https://ok.example" })).status).toBe(101);
    expect((await upgradeStatus(server.url, {})).status).toBe(101);
  });
});

describe("capability token", () => {
  test("missing and wrong tokens are 401 with their messages; the right one is served", async () => {
    await using server = startTestServer({ tokenSha256: digest });
    const missing = await upgradeStatus(server.url, {});
    expect(missing.status).toBe(401);
    expect(missing.body).toContain("missing websocket bearer token");
    const wrong = await upgradeStatus(server.url, { Authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain("invalid websocket bearer token");
    await using client = await ExecServerClient.connect(server.url, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(await client.call("fs/getMetadata", { path: "/" })).toMatchObject({ isDirectory: true });
  });

  test("the CLI reads the token from a file and never logs it", async () => {
    using dir = tempDir();
    const file = join(dir.path, "token");
    writeFileSync(file, `${TOKEN}\n`);
    await using server = await startCli([
      "--ws-auth",
      "capability-token",
      "--ws-token-file",
      file,
      "--log-level",
      "debug",
    ]);
    expect((await upgradeStatus(server.url, { Authorization: "Bearer wrong" })).status).toBe(401);
    const client = await ExecServerClient.connect(server.url, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    await client.call("fs/getMetadata", { path: "/" });
    await client.close();
    expect(await server.stop()).toBe(0);
    const stderr = await server.stderr();
    expect(stderr).toContain("connection refused");
    expect(stderr).not.toContain(TOKEN);
  });

  test("--ws-token-sha256 works the same", async () => {
    await using server = await startCli([
      "--ws-auth",
      "capability-token",
      "--ws-token-sha256",
      digest.toString("hex"),
    ]);
    try {
      expect((await upgradeStatus(server.url, {})).status).toBe(401);
      const client = await ExecServerClient.connect(server.url, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      await client.close();
    } finally {
      await server.stop();
    }
  });
});

describe("startup rules", () => {
  test.each([
    [["--listen", "ws://0.0.0.0:0"], "refusing to listen on non-loopback 0.0.0.0 without auth"],
    [["--ws-auth", "password"], "invalid --ws-auth value 'password'"],
    [["--ws-auth", "capability-token"], "needs --ws-token-file or --ws-token-sha256"],
    [["--ws-auth", "capability-token", "--ws-token-sha256", "abc"], "64 hex digits"],
    [["--ws-auth", "capability-token", "--ws-token-file", "relative"], "must be an absolute path"],
    [["--ws-token-file", "/etc/hostname"], "need --ws-auth capability-token"],
  ])("%p is refused", (args, message) => {
    const values = Object.fromEntries(
      args.flatMap((arg, i) => (arg.startsWith("--") ? [[arg.slice(2), args[i + 1] ?? ""]] : [])),
    );
    expect(() => resolveServeOptions(values)).toThrow(message);
  });

  test("non-loopback without auth is allowed with --insecure-no-auth, and with a token", () => {
    expect(resolveServeOptions({ listen: "ws://0.0.0.0:0", "insecure-no-auth": true }).host).toBe("0.0.0.0");
    const withToken = resolveServeOptions({
      listen: "ws://0.0.0.0:0",
      "ws-auth": "capability-token",
      "ws-token-sha256": digest.toString("hex"),
    });
    expect(withToken.tokenSha256).toEqual(digest);
  });
});

describe("plain HTTP", () => {
  test("/readyz is 200; anything else is 426, never a hang", async () => {
    await using server = startTestServer({ tokenSha256: digest });
    const http = server.url.replace("ws://", "http://");
    const ready = await fetch(`${http}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, "ok\n"]);
    for (const [path, method] of [
      ["/", "GET"],
      ["/anything", "POST"],
      ["/readyz", "POST"],
    ] as const) {
      const response = await fetch(`${http}${path}`, { method });
      expect(response.status).toBe(426);
    }
  });
});
