// `codex-exec-server [serve] [--listen ws://IP:PORT]` or `--cloud ...`: serve until SIGINT/SIGTERM.
import pkg from "../../package.json" with { type: "json" };
import { CloudError } from "../errors.ts";
import { logger, setLogFormat, setLogLevel } from "../log.ts";
import { type ServerOverrides, startServer } from "../server/server.ts";
import { versionString } from "../version.ts";
import type { Flags } from "./args.ts";
import { CLOUD_FLAGS, checkCloudFlags } from "./cloud-args.ts";
import { type Command, exitWith } from "./command.ts";
import { parseLogFormat, parseLogLevel } from "./options.ts";
import { resolveServeOptions, SERVE_FLAGS, type ServeValues } from "./serve-options.ts";

const log = logger("cli");

export const NAME = "codex-exec-server";

const FLAGS = {
  ...SERVE_FLAGS,
  ...CLOUD_FLAGS,
  version: { type: "boolean", short: "V", description: "Print the version and exit" },
} as const satisfies Flags;

export const serveCommand: Command = {
  name: NAME,
  maxPositionals: 0,
  help: {
    usage: [
      `${NAME} [serve] [--listen ws://IP:PORT | stdio] [OPTIONS]`,
      `${NAME} --cloud --cloud-base-url URL [OPTIONS]`,
      `${NAME} exec|cp|call --url ws://HOST:PORT ...`,
    ],
    summary: `${pkg.description}. With no command it serves until SIGINT or SIGTERM, printing its URL on stdout.`,
    commands: [
      ["serve", "Serve on --listen (the default command)"],
      ["exec", "Run a command on a server, like ssh HOST CMD"],
      ["cp", "Copy files and directories to or from a server (remote paths are :/path)"],
      ["call", "Send one JSON-RPC request and print its result"],
      ["help [COMMAND]", "Print a command's help"],
    ],
    flags: FLAGS,
    notes: [
      "Sandboxed commands (a Codex client in workspace-write or read-only mode) need bubblewrap on Linux: apt-get install bubblewrap (dnf install bubblewrap, pacman -S bubblewrap). Without it they are refused, never run unsandboxed.",
      `Run '${NAME} COMMAND --help' for a command's options.`,
    ],
  },
  async run({ values: parsed }) {
    if (parsed.version) {
      process.stdout.write(`${NAME} ${versionString()}\n`);
      return 0;
    }
    const values = parsed as ServeValues & { [K in keyof typeof CLOUD_FLAGS]?: string & boolean };
    setLogFormat(parseLogFormat(values["log-format"]));
    setLogLevel(parseLogLevel(values["log-level"]));
    const isCloud = values.cloud === true;
    checkCloudFlags(Object.keys(values), isCloud);
    const options = resolveServeOptions(values);
    try {
      if (isCloud) {
        const cloud = await import("./cloud.ts");
        await cloud.serveCloud(cloud.parseCloudOptions(values), options);
      } else if (options.stdio) await serveStdio(options);
      else await serve(options);
    } catch (error) {
      if (error instanceof CloudError) exitWith(1, `${NAME}: ${error.message}`);
      const code = (error as { code?: string }).code;
      if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
        exitWith(1, `${NAME}: cannot listen on ${values.listen}: ${(error as Error).message}`);
      }
      throw error;
    }
    return 0;
  },
};

/** One connection on stdin/stdout; SIGINT or SIGTERM stop it as the end of stdin does. */
async function serveStdio(options: ServerOverrides): Promise<void> {
  const { serveStdio: serve } = await import("../server/stdio.ts");
  const { promise, resolve } = Promise.withResolvers<void>();
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
  await serve(options, undefined, promise);
  process.exit(0);
}

async function serve(options: Parameters<typeof startServer>[0]): Promise<void> {
  const server = startServer(options);
  // Tools wait for this line, and the services load right after it (see startServer). Bun's
  // console.log writes synchronously; process.stdout.write would let the services' loading
  // delay the line by several milliseconds.
  console.log(server.url);
  const { promise, resolve } = Promise.withResolvers<string>();
  process.once("SIGINT", () => resolve("SIGINT"));
  process.once("SIGTERM", () => resolve("SIGTERM"));
  const signal = await promise;
  log.info("shutting down", { signal });
  await server.stop();
  process.exit(0);
}
