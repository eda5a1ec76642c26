// The server's own cost of a process/start of `/bin/true` (to its process/closed) and of a pipe
// echo round trip (a process/write to `cat` until its output notification), in process: frames go
// straight into a ServerConnection whose transport only watches for the answer. CPU per operation
// is this process's (its threads, not the children's), in batches: the first batch is a fresh
// server (what a bench round sees), the last a warm one.
// `bun bench/spawn-path.ts [--batches 6] [--size 100] [--only spawn|echo|env]`; `--cpu-prof-md`
// before the file name profiles it. Instruction counts per batch, which load on the machine does
// not blur: `valgrind --tool=callgrind --dump-before=umask bun bench/spawn-path.ts ...` (each
// batch starts with a process.umask() call; the dumps' totals, in order, are the batches).
import { parseArgs } from "node:util";
import { setLogLevel } from "../src/log.ts";
import { childEnvironment } from "../src/process/env.ts";
import { createServices, ServerConnection } from "../src/server/services.ts";

setLogLevel("error");

const { values } = parseArgs({
  options: {
    batches: { type: "string", default: "6" },
    size: { type: "string", default: "100" },
    only: { type: "string" },
  },
});
const batches = Number(values.batches);
const size = Number(values.size);

let waitingFor: string | null = null;
let arrived: () => void = () => {};
const transport = {
  send(text: string) {
    if (waitingFor !== null && text.includes(waitingFor)) {
      waitingFor = null;
      arrived();
    }
  },
  close() {},
};
const connection = new ServerConnection(transport, createServices());

/** Send a frame and wait for a frame that contains `marker`. */
function exchange(frame: string, marker: string): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  waitingFor = marker;
  arrived = resolve;
  connection.receive(frame);
  return promise;
}

let ids = 0;
const request = (method: string, params: object) => JSON.stringify({ id: ++ids, method, params });
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C" };
const startParams = (processId: string, argv: string[], pipeStdin = false) => ({
  processId,
  argv,
  cwd: "/tmp",
  env,
  tty: false,
  pipeStdin,
  arg0: null,
});

await exchange(request("initialize", { clientName: "bench", outputFromNotifications: true }), '"id"');
connection.receive(JSON.stringify({ method: "initialized" }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function measure(name: string, batch: (n: number) => Promise<void>): Promise<void> {
  const rows: string[] = [];
  const cpus: number[] = [];
  for (let b = 0; b < batches; b++) {
    // A marker for `valgrind --tool=callgrind --dump-before=umask`: one dump per batch.
    process.umask();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await batch(b);
    const wallMs = performance.now() - started;
    const { user, system } = process.cpuUsage(cpu);
    cpus.push((user + system) / size);
    rows.push(`${((wallMs * 1000) / size).toFixed(0)}/${(cpus.at(-1) as number).toFixed(0)}`);
  }
  process.umask();
  const warm = median(cpus.slice(Math.floor(batches / 2)));
  console.log(
    `${name.padEnd(11)} cpu µs/op: first ${(cpus[0] as number).toFixed(0)}, warm ${warm.toFixed(0)}` +
      ` (wall/cpu per batch of ${size}: ${rows.join(" ")})`,
  );
}

if (!values.only || values.only === "spawn") {
  await measure("spawn true", async (b) => {
    for (let i = 0; i < size; i++) {
      const processId = `s${b}-${i}`;
      await exchange(request("process/start", startParams(processId, ["/bin/true"])), '"process/closed"');
    }
  });
}

if (!values.only || values.only === "echo") {
  const processId = "echo";
  await exchange(request("process/start", startParams(processId, ["cat"], true)), '"id"');
  const chunk = Buffer.from("x\n").toString("base64");
  await measure("pipe echo", async () => {
    for (let i = 0; i < size; i++) {
      await exchange(request("process/write", { processId, chunk }), '"process/output"');
    }
  });
  await exchange(request("process/terminate", { processId }), '"process/closed"');
}
if (!values.only || values.only === "env") {
  // The environment of a start as Codex 0.171 asks for it (its envPolicy and env, from
  // test/fixtures/sandbox/), over this server's own variables.
  const policy = {
    inherit: "all" as const,
    ignoreDefaultExcludes: true,
    exclude: [
      "CODEX_PERMISSION_PROFILE",
      "CODEX_VERSION",
      "CODEX_APPLY_PATCH_PRESERVE_LINE_ENDINGS",
      "CODEX_PLUGIN_METRICS_OUTPUT",
    ],
    set: {},
    includeOnly: [],
  };
  const codexEnv = {
    GIT_PAGER: "cat",
    PAGER: "cat",
    TERM: "dumb",
    CODEX_CI: "1",
    LC_ALL: "C.UTF-8",
    NO_COLOR: "1",
  };
  await measure("env policy", async () => {
    for (let i = 0; i < size; i++) childEnvironment({ ...codexEnv, CODEX_THREAD_ID: String(i) }, policy);
  });
}
connection.closed();
process.exit(0);
