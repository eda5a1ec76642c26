// The memory bound of the output hold: N programs each writing M MB at a reader that stalls (its
// socket not read), then comes back and reads every byte with process/read. Prints the server's
// peak RSS while stalled and overall, and whether every program's output arrived whole.
// `bun bench/held-flood.ts [--processes 20] [--mb 20] [--stall-ms 5000] [--server ours|ours-bin]`
import { parseArgs } from "node:util";
import { RawWebSocket } from "../test/support/raw-ws.ts";
import { rssBytes, type ServerKind, startBenchServer } from "./servers.ts";

const { values } = parseArgs({
  options: {
    processes: { type: "string", default: "20" },
    mb: { type: "string", default: "20" },
    "stall-ms": { type: "string", default: "5000" },
    server: { type: "string", default: "ours" },
  },
});
const processes = Number(values.processes);
const bytes = Number(values.mb) * 1024 * 1024;
const server = await startBenchServer(values.server as ServerKind);
let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, rssBytes(server.pid));
}, 20);
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
try {
  const baseline = rssBytes(server.pid);
  const reader = await RawWebSocket.connect(server.url);
  const init = reader.request("initialize", { clientName: "held-flood" });
  await reader.response(init);
  reader.notify("initialized", {});
  reader.pause();
  const ids = Array.from({ length: processes }, (_, i) => `flood-${i}`);
  for (const processId of ids) {
    reader.request("process/start", {
      processId,
      argv: ["head", "-c", String(bytes), "/dev/zero"],
      cwd: "/",
      env: {},
      tty: false,
      pipeStdin: false,
      arg0: null,
    });
  }
  await Bun.sleep(Number(values["stall-ms"]));
  const stalledPeak = peak;
  reader.resume();
  // Each program is read by its own loop, as a real client reads them.
  const readAll = async (processId: string) => {
    let total = 0;
    for (let after = 0; ; ) {
      const id = reader.request("process/read", { processId, afterSeq: after, waitMs: 1000 });
      const { result } = (await reader.response(id, 60_000)) as {
        result: { chunks: { chunk: string }[]; nextSeq: number; closed: boolean };
      };
      for (const chunk of result.chunks) total += Buffer.from(chunk.chunk, "base64").length;
      if (result.closed && result.chunks.length === 0) return total === bytes;
      after = result.nextSeq - 1;
    }
  };
  // Only what is still awaited is kept: the notifications are not this reader's source.
  const pruner = setInterval(() => {
    reader.messages.splice(0, reader.messages.length, ...reader.messages.filter((m) => m.id !== undefined));
  }, 50);
  const whole = (await Promise.all(ids.map(readAll))).filter(Boolean).length;
  clearInterval(pruner);
  reader.destroy();
  console.log(
    `${values.server}: ${processes} × ${values.mb} MB at a reader stalled ${values["stall-ms"]} ms: ` +
      `baseline ${mib(baseline)}, peak RSS stalled ${mib(stalledPeak)}, overall ${mib(peak)}; ` +
      `${whole} of ${processes} outputs whole`,
  );
} finally {
  clearInterval(sampler);
  await server.stop();
}
