// Real HTTP servers on 127.0.0.1 for the http/request tests; stopHttpServers() (in afterEach)
// stops every one a test started.
const servers: { stop(force?: boolean): unknown }[] = [];

/** Stop this server (a Bun.serve or Bun.listen) with the others in stopHttpServers(). */
export function stopAfterTest(server: { stop(force?: boolean): unknown }): void {
  servers.push(server);
}

/** Serve `fetch` on a free port; the base URL. */
export function serve(fetch: (request: Request) => Response | Promise<Response>): string {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

export function stopHttpServers(): void {
  for (const server of servers.splice(0)) server.stop(true);
}

/**
 * A response body sent step by step: each string or byte array is sent as a chunk, each promise
 * waited for, then the body ends (never, if a promise never settles).
 */
export function steppedBody(
  ...steps: (string | Uint8Array | Promise<unknown>)[]
): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(controller) {
      for (const step of steps) {
        if (step instanceof Promise) await step;
        else controller.enqueue(typeof step === "string" ? new TextEncoder().encode(step) : step);
      }
      controller.close();
    },
  });
}
