// Guards SPEC §4 takeover: a long poll pending on an older attachment fails when another
// connection resumes the session, and that older connection gets the same error afterwards.
import { expect, test } from "bun:test";
import { ServerConnection } from "../../src/server/connection.ts";
import { DEFAULT_SERVER_OPTIONS } from "../../src/server/server.ts";
import { createServices } from "../../src/server/services.ts";
import { waitFor } from "../support/wait.ts";

function memoryConnection(services: ReturnType<typeof createServices>) {
  const sent: Record<string, unknown>[] = [];
  const connection = new ServerConnection(
    { send: (text) => sent.push(JSON.parse(text)), close: () => {} },
    services,
  );
  const request = (id: number, method: string, params: unknown) => {
    connection.receive(JSON.stringify({ id, method, params }));
    return waitFor(() => sent.find((m) => m.id === id), { label: `response ${id}` });
  };
  return { connection, sent, request };
}

test("takeover fails the old attachment's pending long poll and later requests", async () => {
  const services = createServices({ ...DEFAULT_SERVER_OPTIONS });
  try {
    const old = memoryConnection(services);
    const { result } = (await old.request(1, "initialize", { clientName: "old" })) as {
      result: { sessionId: string };
    };
    old.connection.receive(JSON.stringify({ method: "initialized" }));
    const start = { processId: "p", argv: ["/bin/sleep", "30"], cwd: "/", env: {}, tty: false };
    expect(await old.request(2, "process/start", start)).toEqual({
      id: 2,
      result: { processId: "p", sandboxType: "none" },
    });
    const poll = old.request(3, "process/read", { processId: "p", afterSeq: 0, waitMs: 20_000 });
    // The old connection's session is detached (as keepalive does for a half-open socket) without
    // the socket closing; a new connection resumes it.
    const session = services.sessions.get(result.sessionId);
    if (!session?.attachment) throw new Error("no attachment");
    services.sessions.detach(session.attachment);
    const fresh = memoryConnection(services);
    expect(
      await fresh.request(1, "initialize", { clientName: "new", resumeSessionId: result.sessionId }),
    ).toEqual({
      id: 1,
      result: { sessionId: result.sessionId, environmentInfo: expect.any(Object) },
    });
    const error = {
      code: -32600,
      message: "session has been resumed by another connection",
      data: { kind: "invalidRequest" },
    };
    expect(await poll).toEqual({ id: 3, error });
    expect(await old.request(4, "process/terminate", { processId: "p" })).toEqual({ id: 4, error });
    fresh.connection.receive(JSON.stringify({ method: "initialized" }));
    expect(await fresh.request(2, "process/terminate", { processId: "p" })).toEqual({
      id: 2,
      result: { running: true },
    });
  } finally {
    services.sessions.close();
  }
});
