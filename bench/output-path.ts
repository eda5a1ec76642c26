// The JS cost of process output inside the server, with no socket in the way: a program's output
// goes through a session and a ServerConnection whose transport only looks at what it would send
// (which flattens the text, as a real send does).
// `bun bench/output-path.ts [--mib 200] [--tty]`; `--cpu-prof-md` before the file name profiles it.
import { parseArgs } from "node:util";
import { createServices, ServerConnection } from "../src/server/services.ts";

const { values } = parseArgs({
  options: { mib: { type: "string", default: "200" }, tty: { type: "boolean", default: false } },
});
const bytes = Number(values.mib) * 2 ** 20;
let notifications = 0;
let closed: () => void = () => {};
const answers = new Map<number, () => void>();
const transport = {
  send(text: string) {
    if (text.startsWith('{"method":"process/output"')) notifications++;
    else if (text.startsWith('{"method":"process/closed"')) closed();
    else if (text.startsWith('{"id":')) answers.get(Number(/^\{"id":(\d+)/.exec(text)?.[1]))?.();
  },
  close() {},
  bufferedAmount: () => 0,
};
const connection = new ServerConnection(transport, createServices());
let nextId = 1;
function call(method: string, params: unknown): Promise<void> {
  const id = nextId++;
  const { promise, resolve } = Promise.withResolvers<void>();
  answers.set(id, resolve);
  connection.receive(JSON.stringify({ id, method, params }));
  return promise;
}
await call("initialize", { clientName: "bench" });
connection.receive(JSON.stringify({ method: "initialized" }));

for (let round = 0; round < 3; round++) {
  const done = new Promise<void>((resolve) => {
    closed = resolve;
  });
  notifications = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await call("process/start", {
    processId: `p${round}`,
    argv: ["head", "-c", String(bytes), "/dev/zero"],
    cwd: "/tmp",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    tty: values.tty,
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  console.log(
    `${values.tty ? "pty" : "pipe"} ${(bytes / 2 ** 20 / seconds).toFixed(0)} MB/s, ` +
      `${notifications} notifications, server CPU ${(((used.user + used.system) / 1e6 / seconds) * 100).toFixed(0)}%, ` +
      `${((used.user + used.system) / (bytes / 2 ** 20)).toFixed(0)} µs CPU per MiB`,
  );
}
connection.closed();
process.exit(0);
