// Guards SPEC §2–3: the envelope, malformed frames, the handshake state machine and its error codes.
import { afterAll, describe, expect, test } from "bun:test";
import { startTestServer } from "../support/harness.ts";

const server = startTestServer();
afterAll(() => server.stop());

const start = (processId: string) => ({
  processId,
  argv: ["/bin/true"],
  cwd: "/",
  env: {},
  tty: false,
  pipeStdin: false,
  arg0: null,
});

describe("envelope", () => {
  test.each([
    ["not JSON", "{nope"],
    ["a batch", JSON.stringify([{ id: 1, method: "initialize", params: { clientName: "x" } }])],
    ["a bare string", JSON.stringify("hello")],
    ["an object that is no message", JSON.stringify({ hello: 1 })],
    ["a request with an object id", JSON.stringify({ id: { a: 1 }, method: "initialize" })],
    ["a request with a fractional id", JSON.stringify({ id: 1.5, method: "initialize" })],
  ])("%s is answered with id -1 and -32600, and the connection stays", async (_label, frame) => {
    await using client = await server.connect();
    client.sendRaw(frame);
    const response = await waitForMessage(client, (m) => m.id === -1);
    expect(response.error?.code).toBe(-32600);
    // Still usable afterwards.
    const ok = await client.request("initialize", { clientName: "t" });
    expect(ok.result).toEqual({ sessionId: expect.any(String), environmentInfo: expect.any(Object) });
  });

  test("ids are echoed exactly, a jsonrpc member is accepted, binary frames are read", async () => {
    await using client = await server.connect();
    client.sendRaw(
      new TextEncoder().encode(
        JSON.stringify({ jsonrpc: "2.0", id: "abc", method: "initialize", params: { clientName: "t" } }),
      ),
    );
    const response = await waitForMessage(client, (m) => m.id === "abc");
    expect(response).toEqual({
      id: "abc",
      result: { sessionId: expect.any(String), environmentInfo: expect.any(Object) },
    });
    expect("jsonrpc" in response).toBe(false);
  });

  test("client notifications other than initialized and stray responses are ignored", async () => {
    await using client = await server.session();
    client.notify("something/else", { x: 1 });
    client.sendRaw(JSON.stringify({ id: 99, result: {} }));
    const response = await client.request("process/terminate", { processId: "none" });
    expect(response.result).toEqual({ running: false });
  });
});

describe("handshake", () => {
  test("process/* and fs/* before initialize", async () => {
    await using client = await server.connect();
    expect((await client.request("process/start", start("p"))).error).toEqual({
      code: -32600,
      message: "client must call initialize before using exec methods",
      data: { kind: "invalidRequest" },
    });
    expect((await client.request("fs/getMetadata", { path: "/" })).error?.message).toBe(
      "client must call initialize before using filesystem methods",
    );
  });

  test("after initialize, before initialized", async () => {
    await using client = await server.connect();
    await client.call("initialize", { clientName: "t" });
    expect((await client.request("process/read", { processId: "p" })).error).toMatchObject({
      code: -32600,
      message: "client must send initialized before using exec methods",
    });
    expect((await client.request("fs/getMetadata", { path: "/" })).error).toMatchObject({
      code: -32600,
      message: "client must send initialized before using filesystem methods",
    });
    client.notify("initialized", {});
    expect((await client.request("fs/getMetadata", { path: "/" })).result).toMatchObject({
      isDirectory: true,
    });
  });

  test("a second initialize is refused; a failed one may be retried", async () => {
    await using client = await server.connect();
    const failed = await client.request("initialize", {
      clientName: "t",
      resumeSessionId: "no-such-session",
    });
    expect(failed.error).toMatchObject({ code: -32600, message: "unknown session id no-such-session" });
    await client.call("initialize", { clientName: "t" });
    expect((await client.request("initialize", { clientName: "t" })).error).toMatchObject({
      code: -32600,
      message: "initialize may only be sent once per connection",
    });
  });

  test("unknown methods are -32601 before and after the handshake", async () => {
    await using client = await server.connect();
    expect((await client.request("process/explode", {})).error?.code).toBe(-32601);
    await client.call("initialize", { clientName: "t" });
    client.notify("initialized");
    expect((await client.request("nope", {})).error?.code).toBe(-32601);
  });

  test("params that do not validate are -32602 naming the field", async () => {
    await using client = await server.connect();
    // Params are checked before the handshake state, as the reference does.
    const early = await client.request("process/start", { bogus: 1 });
    expect(early.error?.code).toBe(-32602);
    expect(early.error?.message).toContain("processId");
    const missing = await client.request("initialize", {});
    expect(missing.error?.code).toBe(-32602);
    expect(missing.error?.message).toContain("clientName");
    await client.call("initialize", { clientName: "t" });
    client.notify("initialized");
    const wrongType = await client.request("process/start", { ...start("p"), tty: "yes" });
    expect(wrongType.error?.code).toBe(-32602);
    expect(wrongType.error?.message).toContain("tty");
  });
});

async function waitForMessage(
  client: Awaited<ReturnType<typeof server.connect>>,
  predicate: (m: (typeof client.messages)[number]) => boolean,
) {
  const { waitFor } = await import("../support/wait.ts");
  return waitFor(() => client.messages.find(predicate), { label: "a matching message" });
}
