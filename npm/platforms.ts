// The per-platform npm packages, as @openai/codex, esbuild and Biome ship theirs: the main package
// (the repository root) carries a small launcher (npm/bin/codex-exec-server.js) and lists one
// optional dependency per platform; npm installs only the one whose os, cpu and libc match, and
// the launcher runs the binary it holds.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };

export interface Platform {
  os: "linux" | "darwin";
  cpu: "x64" | "arm64";
  libc?: "glibc" | "musl";
}

/** build.ts's targets, each as npm describes a platform. */
export const PLATFORMS = {
  "linux-x64": { os: "linux", cpu: "x64", libc: "glibc" },
  "linux-x64-musl": { os: "linux", cpu: "x64", libc: "musl" },
  "linux-arm64": { os: "linux", cpu: "arm64", libc: "glibc" },
  "linux-arm64-musl": { os: "linux", cpu: "arm64", libc: "musl" },
  "darwin-x64": { os: "darwin", cpu: "x64" },
  "darwin-arm64": { os: "darwin", cpu: "arm64" },
} as const satisfies Record<string, Platform>;

export type PlatformName = keyof typeof PLATFORMS;

export const packageName = (target: PlatformName) => `codex-exec-server-${target}`;

/** This host's target, as the launcher works it out (glibc unless the runtime reports none). */
export function hostPlatform(): PlatformName {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const musl = process.platform === "linux" && !report?.header?.glibcVersionRuntime ? "-musl" : "";
  return `${process.platform}-${process.arch}${musl}` as PlatformName;
}

/** Write `outdir/<package name>/` for `target`: package.json, README.md, bin/codex-exec-server. */
export async function writePlatformPackage(target: PlatformName, binary: string, outdir: string) {
  const platform: Platform = PLATFORMS[target];
  const dir = join(outdir, packageName(target));
  await mkdir(join(dir, "bin"), { recursive: true });
  const manifest = {
    name: packageName(target),
    version: pkg.version,
    description: `The ${target} binary of codex-exec-server (installed by the codex-exec-server package)`,
    license: pkg.license,
    repository: pkg.repository,
    os: [platform.os],
    cpu: [platform.cpu],
    ...(platform.libc ? { libc: [platform.libc] } : {}),
    files: ["bin/codex-exec-server"],
    preferUnplugged: true,
  };
  await writeFile(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(
    join(dir, "README.md"),
    `# ${manifest.name}\n\n${manifest.description}. Install \`codex-exec-server\` instead.\n`,
  );
  await Bun.write(join(dir, "bin/codex-exec-server"), Bun.file(binary));
  await chmod(join(dir, "bin/codex-exec-server"), 0o755);
  return dir;
}
