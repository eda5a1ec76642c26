// Compile the single binary: `bun build.ts` for this host (dist/codex-exec-server), or
// `bun build.ts --target linux-arm64 [--target ...]` / `--all` for dist/codex-exec-server-<target>.
import { parseArgs } from "node:util";

const TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-arm64": "bun-linux-arm64",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
} as const satisfies Record<string, Bun.Build.CompileTarget>;
type Target = keyof typeof TARGETS;

const { values } = parseArgs({
  options: { target: { type: "string", multiple: true }, all: { type: "boolean" } },
});

function isTarget(name: string): name is Target {
  return Object.hasOwn(TARGETS, name);
}

async function compile(outfile: string, target?: Bun.Build.CompileTarget): Promise<void> {
  const result = await Bun.build({
    entrypoints: ["./src/index.ts"],
    minify: true,
    bytecode: true,
    sourcemap: "none",
    compile: {
      ...(target ? { target } : {}),
      outfile,
      // The server must behave the same whatever directory it is started from.
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`build failed for ${target ?? "host"}`);
  }
  console.error(`built ${outfile}`);
}

const requested = values.all ? (Object.keys(TARGETS) as Target[]) : (values.target ?? []);
if (requested.length === 0) {
  await compile("./dist/codex-exec-server");
} else {
  for (const name of requested) {
    if (!isTarget(name)) {
      console.error(`unknown target ${name}; expected one of ${Object.keys(TARGETS).join(", ")}`);
      process.exit(2);
    }
    await compile(`./dist/codex-exec-server-${name}`, TARGETS[name]);
  }
}
