// `--listen stdio`: the protocol as newline-delimited JSON on stdin and stdout, one connection,
// for clients that start the server as a program (Codex's environments.toml `program`, often over
// ssh). Nothing else is written to stdout. When stdin ends, the connection is over: nobody can
// resume it, so every process it started is killed and the server exits.
import { logger } from "../log.ts";
import { readLines } from "../rpc/stdio.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { DEFAULT_SERVER_OPTIONS, type ServerOverrides } from "./server-options.ts";

const log = logger("stdio");

export interface StdioStreams {
  input: ReadableStream<Uint8Array>;
  /** Each write's callback is called once it has been written (flow control counts on it). */
  output: NodeJS.WritableStream;
}

/** Serve one connection until the input ends (or `stop` resolves); then kill what it started. */
export async function serveStdio(
  overrides: ServerOverrides,
  streams: StdioStreams = { input: Bun.stdin.stream(), output: process.stdout },
  stop: Promise<unknown> = new Promise(() => {}),
): Promise<void> {
  const options = {
    ...DEFAULT_SERVER_OPTIONS,
    ...overrides,
    limits: { ...DEFAULT_LIMITS, ...overrides.limits },
  };
  const core = await import("./services.ts");
  const services = core.createServices(options);
  const containment = core.startContainment(options);
  const { input, output } = streams;
  let isClosed = false;
  // What has been written and not yet taken, counted here from each write's callback: Bun's
  // process.stdout reports a writableLength of 0 however much waits in it, which left the
  // output's flow control without a send buffer to watch.
  let pending = 0;
  const connection = new core.ServerConnection(
    {
      send: (text) => {
        if (isClosed) return;
        const line = `${text}\n`;
        pending += line.length;
        output.write(line, () => {
          pending -= line.length;
          if (pending === 0) connection.drained();
        });
      },
      close: () => {
        isClosed = true;
      },
      bufferedAmount: () => pending,
    },
    services,
  );
  const onDrain = () => connection.drained();
  output.on("drain", onDrain);
  log.info("serving on stdio");
  const reading = readLines(
    input,
    (line) => {
      if (isClosed) return;
      if (line) connection.receive(line);
      else connection.refuseFrame(`frame over ${options.limits.maxFrameBytes} bytes`);
    },
    options.limits.maxFrameBytes,
  ).catch((error) => log.warn("stdin failed", { error: String(error) }));
  await Promise.race([reading, stop]);
  isClosed = true;
  output.off("drain", onDrain);
  connection.closed();
  const killed = services.sessions.close();
  await core.finishShutdown(killed, containment);
  log.info("stdin closed: stopped");
}
