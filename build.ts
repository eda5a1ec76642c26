// Compile the single binary.
//   bun build.ts                          dist/codex-exec-server for this host (what CI tests)
//   bun build.ts --target linux-arm64     dist/codex-exec-server-linux-arm64 (repeatable; --all for every target)
//   bun build.ts --release [--target T]   release artifacts for every target (or those named): the binary,
//                                         a .tar.gz holding it as `codex-exec-server`, a .sha256 for each,
//                                         and one SHA256SUMS covering them all, and dist/npm/<package>/ for
//                                         each target's npm package (npm/platforms.ts)
//   bun build.ts --lib                    the library (src/lib.ts) as JavaScript for Node >= 20 and Bun, with
//                                         its .d.ts, into dist/lib/ (what npm pack ships; run by prepack)
// --outdir DIR writes somewhere other than dist/.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { type PlatformName, writePlatformPackage } from "./npm/platforms.ts";

export const TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-x64-musl": "bun-linux-x64-musl",
  "linux-arm64": "bun-linux-arm64",
  "linux-arm64-musl": "bun-linux-arm64-musl",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
} as const satisfies Record<PlatformName, Bun.Build.CompileTarget>;
export type Target = keyof typeof TARGETS;

export interface CompileOptions {
  outfile: string;
  /** What to compile: the server (src/index.ts) unless told (the bench compiles its floors). */
  entrypoint?: string;
  target?: Bun.Build.CompileTarget;
  minify?: boolean;
  bytecode?: boolean;
}

/** The short commit of the tree being built, or "unknown" outside git. */
export function gitCommit(): string {
  try {
    const git = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], {
      cwd: import.meta.dir,
      stderr: "ignore",
    });
    const commit = git.stdout.toString().trim();
    return git.success && commit ? commit : "unknown";
  } catch {
    return "unknown"; // no git on this machine
  }
}

// Bytecode is what makes a start fast (the compiled chunks are not parsed at run time); minify
// costs nothing at start and makes the binary smaller, so both stay on. bench/startup.ts measures
// the four combinations (figures in bench/RESULTS.md).
export async function compile({
  outfile,
  entrypoint = join(import.meta.dir, "src/index.ts"),
  target,
  minify = true,
  bytecode = true,
}: CompileOptions) {
  const result = await Bun.build({
    entrypoints: [entrypoint],
    minify,
    bytecode,
    // ESM split into chunks: a start loads only the listener's; the handshake, services, exec and
    // cloud chunks load when imported. One bundle (CommonJS or ESM) costs more instructions before
    // the URL line (bench/RESULTS.md).
    format: "esm",
    splitting: true,
    sourcemap: "none",
    define: { CODEX_EXEC_SERVER_COMMIT: JSON.stringify(gitCommit()) },
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

/**
 * The library: one ESM file for Node and Bun with its dependencies bundled (the package has no
 * dependencies to install), and its declarations from tsc (tsconfig.lib.json).
 */
export async function buildLibrary(outdir: string): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, "src/lib.ts")],
    outdir,
    target: "node",
    format: "esm",
    naming: "lib.js",
    sourcemap: "none",
    define: { CODEX_EXEC_SERVER_COMMIT: JSON.stringify(gitCommit()) },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error("library build failed");
  }
  const tsc = Bun.spawnSync(
    [join(import.meta.dir, "node_modules/.bin/tsc"), "-p", "tsconfig.lib.json", "--outDir", outdir],
    { cwd: import.meta.dir, stdout: "inherit", stderr: "inherit" },
  );
  if (!tsc.success) throw new Error("library declarations failed (tsc -p tsconfig.lib.json)");
  console.error(`built ${join(outdir, "lib.js")} and its .d.ts`);
}

async function sha256(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

/** A line as `sha256sum` prints it and `sha256sum -c` reads it (two spaces: binary mode not implied). */
async function checksumLine(path: string): Promise<string> {
  return `${await sha256(path)}  ${basename(path)}\n`;
}

/** `name.tar.gz` holding the binary as `codex-exec-server`, so unpacking gives the command its usual name. */
async function tarball(binary: string): Promise<string> {
  const staging = await mkdtemp(join(tmpdir(), "codex-exec-server-tar-"));
  try {
    await Bun.write(join(staging, "codex-exec-server"), Bun.file(binary));
    await chmod(join(staging, "codex-exec-server"), 0o755); // Bun.write does not copy the mode
    const out = `${binary}.tar.gz`;
    await Bun.$`tar -czf ${out} -C ${staging} codex-exec-server`.quiet();
    return out;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function release(targets: Target[], outdir: string): Promise<void> {
  const sums: string[] = [];
  for (const name of targets) {
    const binary = join(outdir, `codex-exec-server-${name}`);
    await compile({ outfile: binary, target: TARGETS[name] });
    for (const artifact of [binary, await tarball(binary)]) {
      const line = await checksumLine(artifact);
      await writeFile(`${artifact}.sha256`, line);
      sums.push(line);
    }
    await writePlatformPackage(name, binary, join(outdir, "npm"));
  }
  await writeFile(join(outdir, "SHA256SUMS"), sums.join(""));
  console.error(`wrote ${join(outdir, "SHA256SUMS")} (${sums.length} artifacts)`);
}

function isTarget(name: string): name is Target {
  return Object.hasOwn(TARGETS, name);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: "string", multiple: true },
      all: { type: "boolean" },
      release: { type: "boolean" },
      lib: { type: "boolean" },
      outdir: { type: "string", default: join(import.meta.dir, "dist") },
    },
  });
  for (const name of values.target ?? []) {
    if (!isTarget(name)) {
      console.error(`unknown target ${name}; expected one of ${Object.keys(TARGETS).join(", ")}`);
      process.exit(2);
    }
  }
  const outdir = values.outdir;
  await mkdir(outdir, { recursive: true });
  if (values.lib) return buildLibrary(join(outdir, "lib"));
  const named = (values.target ?? []) as Target[];
  const every = Object.keys(TARGETS) as Target[];
  if (values.release) return release(named.length > 0 ? named : every, outdir);
  const targets = values.all ? every : named;
  if (targets.length === 0) return compile({ outfile: join(outdir, "codex-exec-server") });
  for (const name of targets) {
    await compile({ outfile: join(outdir, `codex-exec-server-${name}`), target: TARGETS[name] });
  }
}

if (import.meta.main) await main();
