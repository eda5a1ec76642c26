// Fetch the Codex 0.125 reference (never run in CI): `bun bench/fetch-reference.ts`.
// It lands in bench/.reference/ (git-ignored); bench/servers.ts finds it there.
import { mkdirSync } from "node:fs";

const dir = new URL("./.reference/", import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
const run = (cmd: string[]) => {
  const result = Bun.spawnSync(cmd, { cwd: dir, stdout: "inherit", stderr: "inherit" });
  if (result.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed`);
};
run(["npm", "pack", "@openai/codex@0.125.0-linux-x64"]);
run(["sh", "-c", "tar xzf openai-codex-0.125.0-linux-x64.tgz && rm openai-codex-0.125.0-linux-x64.tgz"]);
console.log(`reference in ${dir}package/vendor/x86_64-unknown-linux-musl/codex/codex`);
