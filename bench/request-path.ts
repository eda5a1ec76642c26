// The JS cost of one request inside the server, with no socket and no kernel in the way: frames go
// straight into a ServerConnection whose transport only notes that an answer went. Shows what a
// change to the request path (envelope, schemas, routing, encoding) costs per call.
// `bun bench/request-path.ts [--calls N]`; `--cpu-prof-md` before the file name profiles it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createServices, ServerConnection } from "../src/server/services.ts";

const { values } = parseArgs({
  options: { calls: { type: "string", default: "20000" }, only: { type: "string" } },
});
const calls = Number(values.calls);
const dir = mkdtempSync(join(tmpdir(), "bench-request-path-"));
const file = join(dir, "one-mib");
const data = Buffer.alloc(1 << 20, 7);
writeFileSync(file, data);
const small = join(dir, "four-kib");
writeFileSync(small, data.subarray(0, 4096));

let answered: () => void = () => {};
const transport = {
  send(text: string) {
    if (text.startsWith('{"id"')) answered();
  },
  close() {},
};
const connection = new ServerConnection(transport, createServices());

async function call(frame: string): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  answered = resolve;
  connection.receive(frame);
  await promise;
}

await call(JSON.stringify({ id: 0, method: "initialize", params: { clientName: "bench" } }));
connection.receive(JSON.stringify({ method: "initialized" }));

const b64 = data.toString("base64");
const readFrame = (id: number, path: string) =>
  JSON.stringify({ id, method: "fs/readFile", params: { path } });
// Built as text: JSON.stringify of a MiB of base64 per call would dwarf what is measured.
const writeFrame = (id: number, dataBase64: string) =>
  `{"id":${id},"method":"fs/writeFile","params":{"path":"${join(dir, "w")}","dataBase64":"${dataBase64}"}}`;
const cases: [string, number, (id: number) => string][] = [
  [
    "fs/getMetadata",
    calls,
    (id) => JSON.stringify({ id, method: "fs/getMetadata", params: { path: file, sandbox: null } }),
  ],
  ["fs/readFile 4 KiB", calls / 4, (id) => readFrame(id, small)],
  ["fs/writeFile 4 KiB", calls / 4, (id) => writeFrame(id, b64.slice(0, 5464))],
  ["fs/readFile 1 MiB", calls / 50, (id) => readFrame(id, file)],
  ["fs/writeFile 1 MiB", calls / 50, (id) => writeFrame(id, b64)],
];
for (const [name, count, frameOf] of cases) {
  if (values.only && !name.includes(values.only)) continue;
  for (let i = 0; i < Math.min(200, count); i++) await call(frameOf(i + 1));
  // Frames are made (and flattened, as a received frame is) outside the measured time.
  let wallMs = 0;
  for (let i = 0; i < count; i++) {
    const frame = frameOf(i + 1);
    frame.charCodeAt(frame.length - 1);
    const started = performance.now();
    await call(frame);
    wallMs += performance.now() - started;
  }
  console.log(`${name.padEnd(20)} ${((wallMs / count) * 1000).toFixed(1).padStart(8)} µs/call`);
}
connection.closed();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
