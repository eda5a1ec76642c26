// The workloads, each run by the load generator against a server (or, for the limit column,
// without one). Each checks its own integrity (bytes, seqs, exit codes) and throws if it fails.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { base64Bytes, LeanClient, startParams as leanStartParams } from "./lean-client.ts";
import { peakRssBytes, rssBytes } from "./servers.ts";

export type Metrics = Record<string, number>;
export interface Target {
  /** null: run the job with no server (the limit column). */
  url: string | null;
  serverPid: number | null;
  /** The server takes file:// URIs for paths and a writeId on process/write (Codex 0.169+). */
  uris: boolean;
}

/** How this run's server spells paths; set once from the target (one per load generator). */
let isUriDialect = false;
const pathParam = (path: string) => (isUriDialect ? pathToFileURL(path).href : path);
const startParams = (processId: string, argv: string[], extra: Record<string, unknown> = {}) =>
  leanStartParams(processId, argv, { cwd: pathParam("/tmp"), ...extra });
let writes = 0;
/** process/write params; a 0.169+ server requires a writeId, unique per process. */
const writeParams = (processId: string, chunk: string) =>
  isUriDialect ? { processId, chunk, writeId: String(++writes) } : { processId, chunk };

let ids = 0;
/** Notifications that never arrived, over the whole run of this load generator. */
export let lostNotifications = 0;
const nextId = () => `b${process.pid}-${++ids}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p99 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] as number;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`integrity check failed: ${what}`);
}

/** Start a process and wait for it to close; checks seqs and the exit code. */
async function runToClose(
  client: LeanClient,
  argv: string[],
  extra: Record<string, unknown> = {},
  exitCode = 0,
) {
  const processId = nextId();
  const watch = client.watch(processId);
  await client.call("process/start", startParams(processId, argv, extra));
  await watch.closed;
  if (watch.seqGaps > 0) {
    // A notification never came (the reference sometimes loses `exited` under load): count it,
    // and check the outcome through process/read, the reliable path.
    lostNotifications += watch.seqGaps;
    const read = (await client.call("process/read", { processId, afterSeq: watch.lastSeq })) as {
      exited: boolean;
      exitCode: number | null;
      closed: boolean;
    };
    check(read.exited && read.closed, `${processId} closed according to process/read`);
    watch.exitCode = read.exitCode;
  }
  check(watch.exitCode === exitCode, `exit code of ${processId} is ${exitCode} (got ${watch.exitCode})`);
  return watch;
}

async function withClient<T>(target: Target, job: (client: LeanClient) => Promise<T>): Promise<T> {
  const client = await LeanClient.connect(target.url as string);
  try {
    return await job(client);
  } finally {
    client.close();
  }
}

async function spawnLatency(target: Target): Promise<Metrics> {
  const times: number[] = [];
  const run = target.url
    ? (client: LeanClient) => runToClose(client, ["/bin/true"])
    : async () => check((await Bun.spawn(["/bin/true"]).exited) === 0, "true exits 0");
  const loop = async (client: LeanClient | null) => {
    for (let i = 0; i < 120; i++) {
      const started = performance.now();
      await run(client as LeanClient);
      if (i >= 20) times.push(performance.now() - started);
    }
  };
  if (target.url) await withClient(target, loop);
  else await loop(null);
  return { "spawn latency median ms": median(times), "spawn latency p99 ms": p99(times) };
}

async function spawnThroughput(target: Target): Promise<Metrics> {
  const perLoop = 40;
  const loops = 8;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: loops }, async () => {
      if (!target.url) {
        for (let i = 0; i < perLoop; i++) await Bun.spawn(["/bin/true"]).exited;
        return;
      }
      await withClient(target, async (client) => {
        for (let i = 0; i < perLoop; i++) await runToClose(client, ["/bin/true"]);
      });
    }),
  );
  return { "spawn throughput procs/s": (loops * perLoop) / ((performance.now() - started) / 1000) };
}

async function output(target: Target, tty: boolean, megabytes: number): Promise<Metrics> {
  const bytes = megabytes * 1024 * 1024;
  const argv = ["head", "-c", String(bytes), "/dev/zero"];
  const label = tty ? "pty" : "pipe";
  const metrics: Metrics = {};
  // The program runs twice, in one session: the first run is the table's figure (a fresh
  // server's), the second what a server that has run this path before gives (a JIT-compiled
  // server has compiled it by then; bench/RESULTS.md, session 7).
  const run = async (client: LeanClient | null, name: string) => {
    const started = performance.now();
    const received = client
      ? (await runToClose(client, argv, { tty })).bytes
      : await outputWithoutServer(argv, tty);
    check(received === bytes, `${label} output: ${received} of ${bytes} bytes`);
    metrics[name] = megabytes / ((performance.now() - started) / 1000);
  };
  const both = async (client: LeanClient | null) => {
    await run(client, `${label} output MB/s`);
    // Each round's server is fresh, so its high-water mark is this workload's peak.
    if (target.serverPid)
      metrics[`${label} output server peak RSS MB`] = peakRssBytes(target.serverPid) / 2 ** 20;
    await run(client, `${label} output MB/s, second run`);
  };
  if (target.url) await withClient(target, both);
  else await both(null);
  return metrics;
}

/** The limit column's job: the program's output read with no server, its byte count. */
async function outputWithoutServer(argv: string[], tty: boolean): Promise<number> {
  let received = 0;
  if (tty) {
    const { promise, resolve } = Promise.withResolvers<void>();
    const child = Bun.spawn(argv, {
      terminal: {
        data: (_t, data) => {
          received += data.byteLength;
        },
        exit: () => resolve(),
      },
    });
    await Promise.all([child.exited, promise]);
  } else {
    const child = Bun.spawn(argv, { stdout: "pipe" });
    for await (const chunk of child.stdout) received += chunk.byteLength;
  }
  return received;
}

/**
 * Round trips of one byte and a newline through `cat`. The table's figures are rounds 20–299 of a
 * fresh server, as they always were; rounds 300–599 of the same process give the same figures
 * for a server that has run the path before (its JIT has compiled it: bench/RESULTS.md, session 7).
 */
async function echoRoundTrip(target: Target, tty: boolean): Promise<Metrics> {
  const label = tty ? "pty" : "pipe";
  const rounds = 600;
  const times: number[] = [];
  const payload = Buffer.from("x\n");
  if (!target.url) {
    const child = Bun.spawn(["cat"], { stdin: "pipe", stdout: "pipe" });
    const reader = child.stdout.getReader();
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      child.stdin.write(payload);
      child.stdin.flush();
      await reader.read();
      times.push(performance.now() - started);
    }
    child.stdin.end();
    await child.exited;
    return echoMetrics(label, times);
  }
  await withClient(target, async (client) => {
    const processId = nextId();
    const watch = client.watch(processId);
    let arrived: (() => void) | null = null;
    client.onOutput((id) => {
      if (id === processId) arrived?.();
    });
    await client.call("process/start", startParams(processId, ["cat"], { tty, pipeStdin: true }));
    const chunk = payload.toString("base64");
    for (let i = 0; i < rounds; i++) {
      const { promise, resolve } = Promise.withResolvers<void>();
      arrived = resolve;
      const started = performance.now();
      await Promise.all([client.call("process/write", writeParams(processId, chunk)), promise]);
      times.push(performance.now() - started);
      // A PTY sends the echo and then cat's copy: let both land before the next round.
      if (tty) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await client.call("process/terminate", { processId });
    await watch.closed;
  });
  return echoMetrics(label, times);
}

/** Every round's time, in order: the first 20 are left out, then two windows of 280 and 300. */
function echoMetrics(label: string, times: number[]): Metrics {
  const first = times.slice(20, 300);
  const later = times.slice(300);
  return {
    [`${label} echo round trip median µs`]: median(first) * 1000,
    [`${label} echo round trip p99 µs`]: p99(first) * 1000,
    [`${label} echo round trip median µs, rounds 300–599`]: median(later) * 1000,
    [`${label} echo round trip p99 µs, rounds 300–599`]: p99(later) * 1000,
  };
}

async function filesystem(target: Target): Promise<Metrics> {
  const dir = mkdtempSync(join(tmpdir(), "bench-fs-"));
  try {
    const data = Buffer.alloc(1024 * 1024, 7);
    const file = join(dir, "one-mib");
    writeFileSync(file, data);
    const listing = join(dir, "listing");
    mkdirSync(listing);
    for (let i = 0; i < 1000; i++) writeFileSync(join(listing, `entry-${i}`), "");
    // A long-lived server is measured warm: a quarter as many calls again go first, untimed (a
    // JIT runtime compiles its hot paths over the first calls; cold start is its own workload).
    const rate = async (n: number, job: () => Promise<void>) => {
      for (let i = 0; i < n / 4; i++) await job();
      const started = performance.now();
      for (let i = 0; i < n; i++) await job();
      return n / ((performance.now() - started) / 1000);
    };
    const writeFileParams = Buffer.from(
      JSON.stringify({ path: pathParam(join(dir, "w")), dataBase64: data.toString("base64") }),
    );
    if (!target.url) {
      return {
        "fs readFile 1MiB ops/s": await rate(200, async () =>
          check((await readFile(file)).length === data.length, "read"),
        ),
        "fs writeFile 1MiB ops/s": await rate(200, () => writeFile(join(dir, "w"), data)),
        "fs getMetadata ops/s": await rate(10000, async () => void (await stat(file))),
        "fs readDirectory 1000 ops/s": await rate(100, async () =>
          check((await readdir(listing, { withFileTypes: true })).length === 1000, "listing"),
        ),
      };
    }
    return await withClient(target, async (client) => ({
      "fs readFile 1MiB ops/s": await rate(200, async () => {
        const { dataBase64 } = (await client.call("fs/readFile", { path: pathParam(file) })) as {
          dataBase64: Parameters<typeof base64Bytes>[0];
        };
        check(base64Bytes(dataBase64) === data.length, "readFile length");
      }),
      "fs writeFile 1MiB ops/s": await rate(200, async () => {
        await client.call("fs/writeFile", writeFileParams);
      }),
      "fs getMetadata ops/s": await rate(10000, async () => {
        await client.call("fs/getMetadata", { path: pathParam(file) });
      }),
      "fs readDirectory 1000 ops/s": await rate(100, async () => {
        const { entries } = (await client.call("fs/readDirectory", { path: pathParam(listing) })) as {
          entries: unknown[];
        };
        check(entries.length === 1000, "readDirectory entries");
      }),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function idleConnections(target: Target): Promise<Metrics> {
  if (!target.url || !target.serverPid) return {};
  const count = 200;
  const before = rssBytes(target.serverPid);
  const started = performance.now();
  const clients: LeanClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await LeanClient.connect(target.url));
  const elapsed = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 200));
  const after = rssBytes(target.serverPid);
  for (const client of clients) client.close();
  return {
    "200 idle connections: connect ms each": elapsed / count,
    "idle connection KB each": (after - before) / count / 1024,
  };
}

async function sleepers(target: Target): Promise<Metrics> {
  if (!target.url || !target.serverPid) return {};
  const count = 100;
  const settled = async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return rssBytes(target.serverPid as number);
  };
  return withClient(target, async (client) => {
    const startAll = async () => {
      const ids = Array.from({ length: count }, () => nextId());
      const watches = ids.map((id) => client.watch(id));
      const started = performance.now();
      await Promise.all(ids.map((id) => client.call("process/start", startParams(id, ["sleep", "30"]))));
      return { ids, watches, elapsed: performance.now() - started };
    };
    const before = rssBytes(target.serverPid as number);
    // The first hundred, on a fresh server: their start time, and what a server's first processes
    // cost it once (code run for the first time, the heap grown to its working size).
    const first = await startAll();
    const withFirst = await settled();
    // What each live process costs: the second hundred's growth, beside the first.
    const second = await startAll();
    const withBoth = await settled();
    for (const batch of [first, second]) {
      await Promise.all(batch.ids.map((id) => client.call("process/terminate", { processId: id })));
      await Promise.all(batch.watches.map((w) => w.closed));
    }
    return {
      "100 sleeps: ms to start all": first.elapsed,
      "first 100 sleeps: MB grown": (withFirst - before) / 2 ** 20,
      "RSS with 200 live sleeps MB": withBoth / 2 ** 20,
      "live process KB each": (withBoth - withFirst) / count / 1024,
    };
  });
}

const WORKLOAD_FUNCTIONS: Record<string, (target: Target) => Promise<Metrics>> = {
  "spawn-latency": spawnLatency,
  "spawn-throughput": spawnThroughput,
  "pipe-output": (t) => output(t, false, 200),
  "pty-output": (t) => output(t, true, 50),
  "pipe-echo": (t) => echoRoundTrip(t, false),
  "pty-echo": (t) => echoRoundTrip(t, true),
  fs: filesystem,
  "idle-connections": idleConnections,
  sleepers,
};

/**
 * A fresh server's first useful work, for run.ts's startup: one `true` started and closed on an
 * initialized client (a handshake answered before the server can run anything does not count).
 */
export async function firstCommand(client: LeanClient, uris: boolean): Promise<void> {
  isUriDialect = uris;
  await runToClose(client, ["/bin/true"]);
}

/** The workloads by name; each sets the path dialect from its target first. */
export const WORKLOADS: Record<string, (target: Target) => Promise<Metrics>> = Object.fromEntries(
  Object.entries(WORKLOAD_FUNCTIONS).map(([name, run]) => [
    name,
    (target: Target) => {
      isUriDialect = target.uris;
      return run(target);
    },
  ]),
);
