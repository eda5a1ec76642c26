#!/usr/bin/env node
// The `codex-exec-server` command of the npm package: find the binary of this platform's optional
// dependency (codex-exec-server-<os>-<cpu>[-musl]) and run it, passing signals on and exiting as it
// does. CODEX_EXEC_SERVER_BINARY names another binary to run instead.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function platformName() {
  const report = process.platform === "linux" ? process.report?.getReport() : undefined;
  const musl = report && !report.header?.glibcVersionRuntime ? "-musl" : "";
  return `${process.platform}-${process.arch}${musl}`;
}

function binaryPath() {
  if (process.env.CODEX_EXEC_SERVER_BINARY) return process.env.CODEX_EXEC_SERVER_BINARY;
  const name = `codex-exec-server-${platformName()}`;
  try {
    return require.resolve(`${name}/bin/codex-exec-server`);
  } catch {
    process.stderr.write(
      `codex-exec-server: the package ${name} (this platform's binary) is not installed. ` +
        "Reinstall without --omit=optional / --no-optional, or use install.sh from the releases page.\n",
    );
    process.exit(1);
  }
}

const child = spawn(binaryPath(), process.argv.slice(2), { stdio: "inherit" });
// A terminal's Ctrl-C and Ctrl-\ reach the whole process group, the binary included: passing them
// on would make one Ctrl-C two (and `exec` kills on a second), so this process only outlives them.
// The others may be sent to this process alone (kill, systemd, a supervisor): they are passed on.
for (const signal of ["SIGINT", "SIGQUIT"]) process.on(signal, () => {});
for (const signal of ["SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"]) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on("error", (error) => {
  process.stderr.write(`codex-exec-server: cannot run ${child.spawnfile}: ${error.message}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
