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
