// Guards cp's progress line: drawn only on a terminal and past LARGE_BYTES, redrawn in place,
// notes on their own lines, nothing half drawn at the end.
import { expect, test } from "bun:test";
import { LARGE_BYTES, Progress } from "../../src/cli/progress.ts";

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

test("a large file on a terminal gets a bar that ends at 100%", () => {
  const out = stream(true);
  const progress = new Progress(out);
  progress.read(2 * LARGE_BYTES);
  progress.wrote(LARGE_BYTES);
  progress.wrote(LARGE_BYTES);
  progress.done();
  expect(out.writes[0]).toBe(`\r[${" ".repeat(30)}]   0% 0.0 MB, 1 file\u001b[K`);
  expect(out.writes.at(-2)).toBe(`\r[${"#".repeat(30)}] 100% 2.1 MB, 1 file\u001b[K`);
  expect(out.writes.at(-1)).toBe("\n");
});

test("not a terminal, or a small transfer: only notes", () => {
  for (const [isTTY, bytes] of [
    [false, 4 * LARGE_BYTES],
    [true, 10],
  ] as const) {
    const out = stream(isTTY);
    const progress = new Progress(out);
    progress.read(bytes);
    progress.wrote(bytes);
    progress.note("skipped :/dev/null: not a file or directory");
    progress.done();
    expect(out.writes).toEqual(["skipped :/dev/null: not a file or directory\n"]);
  }
});
