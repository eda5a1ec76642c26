// Guards redactUrl: what logs and errors may show of a URL (never a query signature or credentials).
import { expect, test } from "bun:test";
import { redactUrl } from "../../src/rpc/websocket.ts";

test.each([
  ["ws://127.0.0.1:9/rendezvous/exec-1?role=executor&sig=secret", "ws://127.0.0.1:9/rendezvous/exec-1?…"],
  ["wss://user:pw@example.com/x#frag", "wss://example.com/x"],
  ["ws://127.0.0.1:9", "ws://127.0.0.1:9/"],
  ["not a url", "<invalid url>"],
])("%p → %p", (url, expected) => {
  expect(redactUrl(url)).toBe(expected);
});
