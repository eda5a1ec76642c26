// Newline-delimited JSON over a byte stream: one message per line (JSON text never holds a raw
// newline). The transport of `--listen stdio`, and of a client that starts its server as a program
// (Codex's environments.toml `program` entries).
import type { Transport } from "./peer.ts";

const NEWLINE = 0x0a;

/**
 * Call `onLine` with each line of the stream (without its newline; empty lines skipped). A line
 * longer than `maxLineBytes` is dropped whole and reported as `null`, so one huge line cannot hold
 * unbounded memory.
 */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: Uint8Array | null) => void,
  maxLineBytes = Number.POSITIVE_INFINITY,
): Promise<void> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let isOversize = false;
  const take = (piece: Uint8Array) => {
    if (isOversize) return;
    if (pendingBytes + piece.byteLength > maxLineBytes) {
      isOversize = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(piece);
    pendingBytes += piece.byteLength;
  };
  const end = () => {
    if (isOversize) onLine(null);
    else if (pendingBytes > 0)
      onLine(pending.length === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
    isOversize = false;
  };
  for await (const chunk of stream) {
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      take(chunk.subarray(start, newline));
      end();
      start = newline + 1;
    }
    if (start < chunk.byteLength) take(chunk.subarray(start));
  }
  end();
}

/** Start `argv` and talk to it over its stdin and stdout; its stderr is ours. */
export function spawnStdioTransport(
  argv: string[],
  receive: (data: Uint8Array) => void,
  onClose: (reason: string) => void,
): Transport {
  const child = Bun.spawn(argv, { stdin: "pipe", stdout: "pipe", stderr: "inherit", env: process.env });
  void readLines(child.stdout, (line) => line && receive(line))
    .catch(() => {})
    .then(async () => {
      const code = await child.exited;
      onClose(`exec-server program exited (code ${code})`);
    });
  let isClosed = false;
  return {
    send(text) {
      if (isClosed) return;
      child.stdin.write(`${text}\n`);
      void child.stdin.flush();
    },
    close() {
      if (isClosed) return;
      isClosed = true;
      // End of input ends the server; it kills what it started.
      void Promise.resolve(child.stdin.end()).catch(() => {});
    },
  };
}
