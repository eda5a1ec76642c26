// What --version prints: the package version and the git commit the code came from.
import pkg from "../package.json" with { type: "json" };

// build.ts defines this as the short commit it compiled (or "unknown"); from source it is absent.
declare const CODEX_EXEC_SERVER_COMMIT: string | undefined;

/** `0.1.0 (abc1234)`; from source the current commit when git is at hand, else just `0.1.0`. */
export function versionString(): string {
  const commit = typeof CODEX_EXEC_SERVER_COMMIT === "string" ? CODEX_EXEC_SERVER_COMMIT : sourceCommit();
  return commit ? `${pkg.version} (${commit})` : pkg.version;
}

function sourceCommit(): string | undefined {
  // node:fs only here: loading it eagerly costs every start (see bench/startup.ts).
  const { realpathSync } = require("node:fs") as typeof import("node:fs");
  const root = new URL("..", import.meta.url).pathname;
  try {
    const git = Bun.spawnSync(["git", "rev-parse", "--show-toplevel", "--short", "HEAD"], {
      cwd: root,
      stderr: "ignore",
    });
    const [toplevel, commit] = git.stdout.toString().trim().split("\n");
    // Only our own checkout counts: installed inside another repository, its commit is not ours.
    if (!git.success || !toplevel || !commit) return undefined;
    return realpathSync(toplevel) === realpathSync(root) ? commit : undefined;
  } catch {
    return undefined; // no git on this machine
  }
}
