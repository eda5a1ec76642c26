// Guards LocalHttpClient against real HTTP servers on 127.0.0.1: headers in order with repeats,
// redirects, the reference's refusals, timeouts, the buffered-body cap, streaming and proxies.
import { afterEach, describe, expect, test } from "bun:test";
import { InternalError, InvalidParams } from "../../src/errors.ts";
import { LocalHttpClient } from "../../src/http/local.ts";
import { serve, steppedBody, stopAfterTest, stopHttpServers } from "../support/http.ts";
import { waitFor } from "../support/wait.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
afterEach(stopHttpServers);

/**
 * A server that answers every connection with these bytes and keeps it open until cut() (for
 * bodies shorter than their Content-Length).
 */
function rawServer(reply: string) {
  const sockets: { end(): void }[] = [];
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        sockets.push(socket);
        socket.write(reply);
      },
    },
  });
  stopAfterTest(listener);
  return {
    url: `http://127.0.0.1:${listener.port}`,
    connections: () => sockets.length,
    cut: () => {
      for (const socket of sockets.splice(0)) socket.end();
    },
  };
}

describe("LocalHttpClient.request", () => {
  test("sends method, headers (repeats kept) and body; returns status, lower-case headers and body", async () => {
    let seen: { method: string; headers: [string, string][]; body: string } | null = null;
    const base = serve(async (request) => {
      seen = { method: request.method, headers: [...request.headers], body: await request.text() };
      const headers = new Headers([
        ["X-Echo", request.method],
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
      ]);
      return new Response("made", { status: 201, headers });
    });
    const http = new LocalHttpClient();
    const response = await http.request({
      method: "POST",
      url: `${base}/echo`,
      headers: [
        { name: "X-A", value: "1" },
        { name: "x-a", value: "2" },
      ],
      body: new TextEncoder().encode("hello"),
    });
    expect(seen as unknown).toMatchObject({ method: "POST", body: "hello" });
    expect((seen as { headers: [string, string][] } | null)?.headers).toContainEqual(["x-a", "1, 2"]);
    expect(response.status).toBe(201);
    expect(text(response.body)).toBe("made");
    const names = response.headers.map((header) => header.name);
    expect(names.every((name) => name === name.toLowerCase())).toBe(true);
    expect(response.headers.filter((header) => header.name === "set-cookie")).toEqual([
      { name: "set-cookie", value: "a=1" },
      { name: "set-cookie", value: "b=2" },
    ]);
    expect(response.headers).toContainEqual({ name: "x-echo", value: "POST" });
  });

  test("redirects are followed by default and returned with redirectPolicy stop", async () => {
    const base = serve((request) =>
      new URL(request.url).pathname === "/from"
        ? new Response("moved", { status: 302, headers: { location: "/to" } })
        : new Response("arrived"),
    );
    const http = new LocalHttpClient();
    const followed = await http.request({ method: "GET", url: `${base}/from` });
    expect([followed.status, text(followed.body)]).toEqual([200, "arrived"]);
    const stopped = await http.request({ method: "GET", url: `${base}/from`, redirectPolicy: "stop" });
    expect([stopped.status, text(stopped.body)]).toEqual([302, "moved"]);
    expect(stopped.headers).toContainEqual({ name: "location", value: "/to" });
  });

  test("refuses bad methods, URLs and headers with the reference's messages", async () => {
    const http = new LocalHttpClient();
    const url = "http://127.0.0.1:1/";
    const refusals: [Parameters<LocalHttpClient["request"]>[0], string][] = [
      [{ method: "G E T", url }, "http/request method is invalid: invalid HTTP method"],
      [{ method: "", url }, "http/request method is invalid: invalid HTTP method"],
      [
        { method: "GET", url: "ftp://127.0.0.1/x" },
        "http/request only supports http and https URLs, got ftp",
      ],
      [
        { method: "GET", url: "file:///etc/passwd" },
        "http/request only supports http and https URLs, got file",
      ],
      [{ method: "GET", url: "not a url" }, "http/request url is invalid: relative URL without a base"],
      [{ method: "GET", url: "" }, "http/request url is invalid: relative URL without a base"],
      [
        { method: "GET", url, headers: [{ name: "bad name", value: "1" }] },
        "http/request header name is invalid: invalid HTTP header name",
      ],
      [
        { method: "GET", url, headers: [{ name: "x", value: "a\nb" }] },
        "http/request header value is invalid for x: failed to parse header value",
      ],
    ];
    for (const [request, message] of refusals) {
      const error = await http.request(request).catch((caught) => caught);
      expect(error).toBeInstanceOf(InvalidParams);
      expect(error.message).toBe(message);
    }
    const getBody = await http
      .request({ method: "GET", url, body: new Uint8Array([1]) })
      .catch((caught) => caught);
    expect([getBody.constructor, getBody.message]).toEqual([
      InvalidParams,
      "http/request cannot send a body with GET from this executor (fetch refuses it)",
    ]);
    // The runtime would send an unknown method as GET: it is refused instead.
    const brew = await http.request({ method: "BREW", url }).catch((caught) => caught);
    expect(brew).toBeInstanceOf(InvalidParams);
    expect(brew.message).toStartWith("http/request method is invalid: BREW");
  });

  test("connect failures and timeouts are -32603 errors that name the URL and the cause", async () => {
    const http = new LocalHttpClient();
    const refused = await http.request({ method: "GET", url: "http://127.0.0.1:1" }).catch((e) => e);
    expect(refused).toBeInstanceOf(InternalError);
    expect(refused.message).toStartWith(
      "http/request failed: error sending request for url (http://127.0.0.1:1/): ",
    );
    const { promise: never, resolve: release } = Promise.withResolvers<Response>();
    const base = serve(() => never);
    const timedOut = await http.request({ method: "GET", url: `${base}/`, timeoutMs: 50 }).catch((e) => e);
    release(new Response("late"));
    expect(timedOut).toBeInstanceOf(InternalError);
    expect(timedOut.message).toBe(
      `http/request failed: error sending request for url (${base}/): timed out after 50 ms`,
    );
  });

  test("the timeout covers the body; a body cut short is an error", async () => {
    const http = new LocalHttpClient();
    const { promise: never, resolve: release } = Promise.withResolvers<void>();
    const base = serve(() => new Response(steppedBody("first", never)));
    const slow = await http.request({ method: "GET", url: base, timeoutMs: 100 }).catch((e) => e);
    release();
    expect(slow).toBeInstanceOf(InternalError);
    expect(slow.message).toBe(
      "failed to read http/request response body: error decoding response body: timed out after 100 ms",
    );
    const cut = rawServer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-ten!!");
    const pending = http.request({ method: "GET", url: cut.url }).catch((e) => e);
    await waitFor(() => cut.connections() > 0, { label: "the raw request" });
    cut.cut();
    const short = await pending;
    expect(short).toBeInstanceOf(InternalError);
    expect(short.message).toStartWith(
      "failed to read http/request response body: error decoding response body",
    );
  });

  test("a decoded gzip body loses content-encoding and content-length; 204 and HEAD have empty bodies", async () => {
    const base = serve((request) => {
      const path = new URL(request.url).pathname;
      if (path === "/gz")
        return new Response(Bun.gzipSync(new TextEncoder().encode("zipped!")), {
          headers: { "content-encoding": "gzip" },
        });
      if (path === "/204") return new Response(null, { status: 204 });
      return new Response("body");
    });
    const http = new LocalHttpClient();
    const gz = await http.request({ method: "GET", url: `${base}/gz` });
    expect(text(gz.body)).toBe("zipped!");
    expect(gz.headers.map((header) => header.name)).not.toContain("content-encoding");
    expect(gz.headers.map((header) => header.name)).not.toContain("content-length");
    expect((await http.request({ method: "GET", url: `${base}/204` })).body.byteLength).toBe(0);
    const head = await http.request({ method: "HEAD", url: `${base}/` });
    expect([head.status, head.body.byteLength]).toEqual([200, 0]);
  });

  test("a buffered body past the cap is refused (streaming has no cap)", async () => {
    const base = serve(() => new Response(new Uint8Array(2000)));
    const http = new LocalHttpClient(1000);
    const error = await http.request({ method: "GET", url: base }).catch((e) => e);
    expect(error).toBeInstanceOf(InternalError);
    expect(error.message).toBe(
      "failed to read http/request response body: the body exceeds 1000 bytes; use streamResponse",
    );
    const stream = await http.stream({ method: "GET", url: base });
    let size = 0;
    for await (const chunk of stream.body) size += chunk.byteLength;
    expect(size).toBe(2000);
  });

  test("loopback requests bypass proxy variables", async () => {
    let proxied = 0;
    const proxy = serve(() => {
      proxied++;
      return new Response("via proxy");
    });
    const target = serve(() => new Response("direct"));
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTP_PROXY = proxy;
    process.env.NO_PROXY = "";
    try {
      const http = new LocalHttpClient();
      const direct = await http.request({ method: "GET", url: target });
      expect([text(direct.body), proxied]).toEqual(["direct", 0]);
      // The runtime does honour the variable for loopback when not told otherwise.
      expect([await (await fetch(target)).text(), proxied]).toEqual(["via proxy", 1]);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});

describe("LocalHttpClient.stream", () => {
  test("status and headers first, then the body in order as it arrives", async () => {
    const first = Promise.withResolvers<void>();
    const second = Promise.withResolvers<void>();
    const base = serve(
      () =>
        new Response(steppedBody("part1-", first.promise, "part2", second.promise), {
          headers: { "x-kind": "stream" },
        }),
    );
    const stream = await new LocalHttpClient().stream({ method: "GET", url: base });
    expect(stream.status).toBe(200);
    expect(stream.headers).toContainEqual({ name: "x-kind", value: "stream" });
    const iterator = stream.body[Symbol.asyncIterator]();
    expect(text((await iterator.next()).value)).toBe("part1-");
    first.resolve();
    expect(text((await iterator.next()).value)).toBe("part2");
    second.resolve();
    expect((await iterator.next()).done).toBe(true);
  });

  test("a body cut short throws after the bytes that arrived; cancel ends a stream", async () => {
    const cut = rawServer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-ten!!");
    const http = new LocalHttpClient();
    const stream = await http.stream({ method: "GET", url: cut.url });
    const chunks = stream.body[Symbol.asyncIterator]();
    expect(text((await chunks.next()).value)).toBe("only-ten!!");
    cut.cut();
    const error = await chunks.next().catch((e) => e);
    expect(error).toBeInstanceOf(InternalError);
    expect(error.message).toStartWith("error decoding response body");

    const { promise: never, resolve: release } = Promise.withResolvers<void>();
    const endless = serve(() => new Response(steppedBody("x", never)));
    const open = await http.stream({ method: "GET", url: endless });
    const iterator = open.body[Symbol.asyncIterator]();
    expect(text((await iterator.next()).value)).toBe("x");
    const pending = iterator.next().catch((e) => e);
    open.cancel();
    const after = await pending;
    release();
    expect(after).toEqual({ done: true, value: undefined });
  });
});
