// Guards the registry's pure parts: the idempotency id of SPEC §7, base URL normalization, and the
// one-line HTTP error messages with their fallbacks.
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { accountIdFromIdToken } from "../../src/cloud/auth.ts";
import { httpError, idempotencyId, normalizeBaseUrl } from "../../src/cloud/registry.ts";
import { fakeJwt } from "../support/codex-auth.ts";

test("the idempotency id hashes account, environment (or auto), name, version and the launch bytes", () => {
  const launch = new Uint8Array(16).fill(7);
  const expected = (environment: string) =>
    `codex-exec-server-${createHash("sha256")
      .update(
        Buffer.concat([
          Buffer.from(`acct\0${environment}\0host\0codex-exec-server-v1\0`),
          Buffer.from(launch),
        ]),
      )
      .digest("hex")}`;
  expect(idempotencyId("acct", undefined, "host", launch)).toBe(expected("auto"));
  expect(idempotencyId("acct", "env-1", "host", launch)).toBe(expected("env-1"));
  expect(idempotencyId("acct", "env-1", "host", new Uint8Array(16))).not.toBe(expected("env-1"));
});

test.each([
  ["  https://example.com/prefix//  ", "https://example.com/prefix"],
  ["http://127.0.0.1:8080/", "http://127.0.0.1:8080"],
  ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
  [" / ", undefined],
  ["", undefined],
  [undefined, undefined],
])("normalizeBaseUrl(%p) → %p", (input, expected) => {
  expect(normalizeBaseUrl(input)).toBe(expected);
});

test.each([
  [
    409,
    '{"error":{"code":"no_online_executor","message":"no executor is online"}}',
    "(409 Conflict, no_online_executor): no executor is online",
    false,
  ],
  [500, "boom\nboom", "(500 Internal Server Error): boom boom", true],
  [429, '{"error":{"message":"slow down"}}', "(429 Too Many Requests): slow down", true],
  [400, '{"error":null}', '(400 Bad Request): {"error":null}', false],
  [400, '{"error":{"code":"x"}}', '(400 Bad Request, x): {"error":{"code":"x"}}', false],
  [502, "   ", "(502 Bad Gateway): empty or malformed error body", true],
  [599, "", "(599): empty or malformed error body", true],
])("httpError(%p, %p)", (status, body, message, isTransient) => {
  const error = httpError(status, body);
  expect(error.message).toBe(`cloud environments request failed ${message}`);
  expect(error.isTransient).toBe(isTransient);
  expect(error.status).toBe(status);
});

test("an error body preview stops at 4096 characters", () => {
  const error = httpError(500, "x".repeat(10_000));
  expect(error.message).toBe(
    `cloud environments request failed (500 Internal Server Error): ${"x".repeat(4096)}`,
  );
});

test("the account id claim of an id_token", () => {
  const claim = (id: unknown) => fakeJwt({ "https://api.openai.com/auth": { chatgpt_account_id: id } });
  expect(accountIdFromIdToken(claim("acct-9"))).toBe("acct-9");
  expect(accountIdFromIdToken(claim(""))).toBeUndefined();
  expect(accountIdFromIdToken(claim(42))).toBeUndefined();
  expect(accountIdFromIdToken(fakeJwt({}))).toBeUndefined();
  expect(accountIdFromIdToken("a.bm90IGpzb24.c")).toBeUndefined();
  expect(accountIdFromIdToken("nodots")).toBeUndefined();
  expect(accountIdFromIdToken(null)).toBeUndefined();
});
