// Run a stdio exec-server and log every newline-delimited frame in both directions, for
// environments.toml `program` environments in bench/codex-tasks.ts (the stdio twin of
// bench/ws-log-proxy.ts). `bun bench/stdio-log-shim.ts LOG.jsonl PROGRAM [ARGS...]`: stdin and
// stdout pass through unchanged; LOG.jsonl gets one {direction, text} line per frame, and the
// server's stderr lines as direction "stderr" (passed on to our stderr too).
import { appendFileSync } from "node:fs";

const [logArg, ...argv] = process.argv.slice(2);
if (!logArg || argv.length === 0) {
  console.error("usage: bun bench/stdio-log-shim.ts LOG.jsonl PROGRAM [ARGS...]");
  process.exit(2);
}
const log = logArg;
const child = Bun.spawn(argv, { stdin: "pipe", stdout: "pipe", stderr: "pipe" });

/** Split a byte stream into lines, logging each complete one; a partial line waits for its end. */
function lineLogger(direction: string) {
  let partial = "";
  const decoder = new TextDecoder();
  return (bytes: Uint8Array) => {
    partial += decoder.decode(bytes, { stream: true });
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const text of lines) appendFileSync(log, `${JSON.stringify({ connection: 1, direction, text })}\n`);
  };
}

const fromClient = lineLogger("client->server");
const toClient = lineLogger("server->client");
const serverStderr = lineLogger("stderr");
const pumpErr = (async () => {
  for await (const bytes of child.stderr) {
    serverStderr(bytes);
    process.stderr.write(bytes);
  }
})();
const pumpIn = (async () => {
  for await (const bytes of Bun.stdin.stream()) {
    fromClient(bytes);
    child.stdin.write(bytes);
    await child.stdin.flush();
  }
  // The client closed stdin: pass the close on, so a stdio server exits as it would unshimmed.
  await child.stdin.end();
})();
for await (const bytes of child.stdout) {
  toClient(bytes);
  await Bun.write(Bun.stdout, bytes);
}
await Promise.race([pumpIn, child.exited]);
await pumpErr;
process.exit(await child.exited);
