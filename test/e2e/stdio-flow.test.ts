// Guards the output's flow control under `--listen stdio`: a client that does not read the
// server's stdout holds the programs back (their pipes wait), as a websocket client does, rather
// than the server taking every byte into memory. Bun's process.stdout reports a writableLength of
// 0 however much waits in it, so the server counts what it has written and not yet had taken.
import { expect, test } from "bun:test";
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listProcesses } from "../../src/process/family.ts";
import { waitFor } from "../support/wait.ts";

const SERVER_ENTRY = new URL("../../src/index.ts", import.meta.url).pathname;

/** The pids whose parent is `pid`. */
const childrenOf = (pid: number) =>
  listProcesses()
    .filter((p) => p.ppid === pid)
    .map((p) => p.pid);

test("a stdio client that does not read holds a flood's program back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "stdio-flow-"));
  const fifo = join(dir, "out");
  Bun.spawnSync(["mkfifo", fifo]);
  // The read end first, without waiting for a writer; the server's stdout is the write end.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const server = Bun.spawn(
    [
      "sh",
      "-c",
      `exec "$0" "$1" --listen stdio --log-level warn > "$2"`,
      process.execPath,
      SERVER_ENTRY,
      fifo,
    ],
    { stdin: "pipe", stderr: "ignore" },
  );
  let flood: number | undefined;
  try {
    const send = (message: object) => server.stdin.write(`${JSON.stringify(message)}\n`);
    send({
      id: 1,
      method: "initialize",
      params: { clientName: "stdio-flow", outputFromNotifications: true },
    });
    send({ method: "initialized", params: {} });
    send({
      id: 2,
      method: "process/start",
      params: {
        processId: "flood",
        argv: ["head", "-c", String(256 * 1024 * 1024), "/dev/zero"],
        cwd: "/tmp",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        tty: false,
      },
    });
    server.stdin.flush();
    flood = await waitFor(() => childrenOf(server.pid)[0], { label: "the flood to start" });
    // Unread, the server's stdout fills: the program must be waiting on its pipe, not done. Taken
    // whole into the server's memory, 256 MiB is gone in well under this.
    await Bun.sleep(1500);
    expect(childrenOf(server.pid)).toContain(flood);
  } finally {
    server.kill("SIGKILL");
    await server.exited;
    // The flood leads its own group (the server's SIGKILL does not reach it): it goes too.
    if (flood !== undefined) {
      try {
        process.kill(-flood, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    const buffer = Buffer.alloc(64 * 1024);
    try {
      while (readSync(reader, buffer) > 0);
    } catch {
      // EAGAIN: nothing more to drain.
    }
    closeSync(reader);
    rmSync(dir, { recursive: true, force: true });
  }
}, 20_000);
