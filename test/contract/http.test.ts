// Guards the HttpClient contract: every row runs against Environment.local() and
// Environment.remote(url) (the executor makes the request), with the same results and errors.
import { afterEach, describe, expect, test } from "bun:test";
import { InternalError, InvalidParams } from "../../src/errors.ts";
import { ENVIRONMENTS } from "../support/environments.ts";
import { serve, steppedBody, stopAfterTest, stopHttpServers } from "../support/http.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
afterEach(stopHttpServers);

describe.each(ENVIRONMENTS)("HttpClient (%s)", (_name, makeEnvironment) => {
  test("request: method, repeated headers and body out; status, headers and body back", async () => {
    await using env = await makeEnvironment();
    const base = serve(async (request) => {
      const headers = new Headers([
        ["x-method", request.method],
        ["x-a", request.headers.get("x-a") ?? ""],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
      ]);
      return new Response(await request.arrayBuffer(), { status: 201, headers });
    });
    const response = await env.http.request({
      method: "PUT",
      url: `${base}/x`,
      headers: [
        { name: "X-A", value: "1" },
        { name: "x-a", value: "2" },
      ],
      body: new Uint8Array([0, 1, 255]),
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual(new Uint8Array([0, 1, 255]));
    expect(response.headers).toContainEqual({ name: "x-method", value: "PUT" });
    expect(response.headers).toContainEqual({ name: "x-a", value: "1, 2" });
    expect(response.headers.filter((header) => header.name === "set-cookie").map((h) => h.value)).toEqual([
      "a=1",
      "b=2",
    ]);
  });

  test("redirectPolicy stop returns the redirect itself", async () => {
    await using env = await makeEnvironment();
    const base = serve((request) =>
      request.url.endsWith("/from") ? Response.redirect("/to", 302) : new Response("arrived"),
    );
    expect(text((await env.http.request({ method: "GET", url: `${base}/from` })).body)).toBe("arrived");
    const stopped = await env.http.request({ method: "GET", url: `${base}/from`, redirectPolicy: "stop" });
    expect(stopped.status).toBe(302);
  });

  test("errors: other schemes and bad methods are InvalidParams, connect failures InternalError", async () => {
    await using env = await makeEnvironment();
    const ftp = await env.http.request({ method: "GET", url: "ftp://127.0.0.1/x" }).catch((e) => e);
    expect([ftp.constructor, ftp.message]).toEqual([
      InvalidParams,
      "http/request only supports http and https URLs, got ftp",
    ]);
    const method = await env.http.request({ method: "G E T", url: "http://127.0.0.1:1/" }).catch((e) => e);
    expect([method.constructor, method.message]).toEqual([
      InvalidParams,
      "http/request method is invalid: invalid HTTP method",
    ]);
    const refused = await env.http.request({ method: "GET", url: "http://127.0.0.1:1/" }).catch((e) => e);
    expect(refused).toBeInstanceOf(InternalError);
    expect(refused.message).toStartWith(
      "http/request failed: error sending request for url (http://127.0.0.1:1/)",
    );
  });

  test("stream: status first, then the body in order; a cut body fails after its bytes", async () => {
    await using env = await makeEnvironment();
    const gate = Promise.withResolvers<void>();
    const base = serve(
      () =>
        new Response(steppedBody("part1-", gate.promise, new Uint8Array(600 * 1024).fill(7)), {
          status: 203,
        }),
    );
    const stream = await env.http.stream({ method: "GET", url: base });
    expect(stream.status).toBe(203);
    const chunks = stream.body[Symbol.asyncIterator]();
    expect(text((await chunks.next()).value)).toBe("part1-");
    gate.resolve();
    let rest = 0;
    for (;;) {
      const next = await chunks.next();
      if (next.done) break;
      expect(next.value.every((byte: number) => byte === 7)).toBe(true);
      rest += next.value.byteLength;
    }
    expect(rest).toBe(600 * 1024);
  });

  test("stream: a body that fails ends the stream with its error", async () => {
    await using env = await makeEnvironment();
    const sockets: { end(): void }[] = [];
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket) {
          sockets.push(socket);
          socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-ten!!");
        },
      },
    });
    stopAfterTest(listener);
    const stream = await env.http.stream({ method: "GET", url: `http://127.0.0.1:${listener.port}/` });
    const chunks = stream.body[Symbol.asyncIterator]();
    expect(text((await chunks.next()).value)).toBe("only-ten!!");
    for (const socket of sockets) socket.end();
    const error = await chunks.next().catch((e) => e);
    expect(error).toBeInstanceOf(InternalError);
    expect(error.message).toStartWith("error decoding response body");
  });
});
