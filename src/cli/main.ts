// `codex-exec-server [--listen ws://IP:PORT]` or `--cloud ...`: serve until SIGINT/SIGTERM.
import { defineCommand } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { CloudError } from "../errors.ts";
import { logger, setLogLevel } from "../log.ts";
import { type ServerOverrides, startServer } from "../server/server.ts";
import { versionString } from "../version.ts";
import { CLOUD_ARGS, checkCloudFlags } from "./cloud-args.ts";
import { checkKnownFlags, parseLogLevel, UsageError } from "./options.ts";
import { resolveServeOptions, SERVE_ARGS } from "./serve-options.ts";

const log = logger("cli");

const args = { ...SERVE_ARGS, ...CLOUD_ARGS } as const;

export const main = defineCommand({
  // A function, so that finding the commit of a source checkout costs only --version and --help.
  meta: () => ({ name: "codex-exec-server", version: versionString(), description: pkg.description }),
  args,
  subCommands: { exec: () => import("./exec.ts").then((m) => m.exec) },
  async run({ args: parsed, rawArgs }) {
    // citty runs this after a subcommand too; a subcommand exits by itself, this guards the rest.
    if (rawArgs[0] === "exec") return;
    // A plain copy: citty's args are a Proxy that case-converts the name of every flag not given
    // (most of them) on each read, which costs more than the rest of the option parsing.
    const values: typeof parsed = { ...parsed };
    try {
      checkKnownFlags(rawArgs, [...Object.keys(args), "help", "h", "version", "v"]);
      setLogLevel(parseLogLevel(values["log-level"]));
      const isCloud = values.cloud === true;
      checkCloudFlags(rawArgs, isCloud);
      const options = resolveServeOptions(values);
      if (isCloud) {
        const cloud = await import("./cloud.ts");
        await cloud.serveCloud(cloud.parseCloudOptions(values), options);
      } else if (options.stdio) await serveStdio(options);
      else await serve(options);
    } catch (error) {
      if (error instanceof UsageError) exitWith(2, error.message);
      if (error instanceof CloudError) exitWith(1, error.message);
      const code = (error as { code?: string }).code;
      if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
        exitWith(1, `cannot listen on ${values.listen}: ${(error as Error).message}`);
      }
      throw error;
    }
  },
});

/** One connection on stdin/stdout; SIGINT or SIGTERM stop it as the end of stdin does. */
async function serveStdio(options: ServerOverrides): Promise<void> {
  const { serveStdio: serve } = await import("../server/stdio.ts");
  const { promise, resolve } = Promise.withResolvers<void>();
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
  await serve(options, undefined, promise);
  process.exit(0);
}

function exitWith(code: number, message: string): never {
  process.stderr.write(`codex-exec-server: ${message}\n`);
  process.exit(code);
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
