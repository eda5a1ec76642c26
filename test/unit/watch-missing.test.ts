// Guards MissingWatcher: one watch per connection, the reference's refusals and limit, and one
// notification when a missing path (or a missing ancestor) appears or `present` changes.
import { afterEach, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MissingWatcher } from "../../src/fs/watch-missing.ts";
import { tempDir } from "../support/tmp.ts";
import { waitFor } from "../support/wait.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup() {
  const dir = tempDir();
  const fired: number[] = [];
  const watcher = new MissingWatcher((watchId) => fired.push(watchId));
  cleanups.push(() => {
    watcher.close();
    dir[Symbol.dispose]();
  });
  const at = (name: string) => join(dir.path, name);
  /** Wait for the given ids to have fired, in order. */
  const firedExactly = (ids: number[]) =>
    waitFor(() => fired.length >= ids.length, {
      label: `fs/missingChanged ${ids.join(",")}`,
      timeoutMs: 5000,
    }).then(() => expect(fired).toEqual(ids));
  return { dir, at, fired, watcher, firedExactly };
}

test("creating a missing ancestor fires once; later changes do not fire again", async () => {
  const { at, watcher, firedExactly, fired } = setup();
  expect(watcher.watch(1, [at("a/b/c"), at("x")], null)).toBe(true);
  writeFileSync(at("unrelated"), "");
  mkdirSync(at("a"));
  await firedExactly([1]);
  writeFileSync(at("x"), "");
  // A second watch proves the first one is gone: only its own id fires.
  expect(watcher.watch(2, [at("y")], null)).toBe(true);
  writeFileSync(at("y"), "");
  await firedExactly([1, 2]);
  expect(fired).toEqual([1, 2]);
});

test("ids must grow: an equal or lower id is ignored and the current watch stays", async () => {
  const { at, watcher, firedExactly } = setup();
  expect(watcher.watch(5, [at("q")], null)).toBe(true);
  expect(watcher.watch(5, [at("other")], null)).toBe(false);
  expect(watcher.watch(3, [at("other")], null)).toBe(false);
  writeFileSync(at("q"), "");
  await firedExactly([5]);
});

test("a newer call that cannot watch answers false and ends the current watch", async () => {
  const { at, watcher, firedExactly } = setup();
  writeFileSync(at("exists"), "");
  mkdirSync(at("dir"));
  expect(watcher.watch(1, [at("s")], null)).toBe(true);
  expect(watcher.watch(2, [], null)).toBe(false);
  expect(watcher.watch(3, [at("exists")], null)).toBe(false);
  expect(watcher.watch(4, [at("dir")], null)).toBe(false);
  expect(watcher.watch(5, [at("exists/under-a-file")], null)).toBe(false);
  expect(watcher.watch(6, [at("t")], at("no-such-present"))).toBe(false);
  const many = Array.from({ length: 65 }, (_, i) => at(`m${i}`));
  expect(watcher.watch(7, many, null)).toBe(false);
  expect(watcher.watch(8, many.slice(0, 64), null)).toBe(true);
  writeFileSync(at("s"), "");
  writeFileSync(at("m63"), "");
  await firedExactly([8]);
});

test("present: a file fires when modified; a directory when removed, not for new entries", async () => {
  const { at, watcher, firedExactly, fired } = setup();
  writeFileSync(at("pf"), "");
  mkdirSync(at("pres"));
  expect(watcher.watch(1, [at("r")], at("pf"))).toBe(true);
  appendFileSync(at("pf"), "more");
  await firedExactly([1]);
  expect(watcher.watch(2, [at("r")], at("pres"))).toBe(true);
  // A second watcher on the same directory is the sentinel: once it has seen the later event,
  // the earlier one (the new entry) has been delivered too, and must not have fired watch 2.
  const sentinel: number[] = [];
  const other = new MissingWatcher((id) => sentinel.push(id));
  cleanups.push(() => other.close());
  expect(other.watch(1, [at("pres/sentinel")], null)).toBe(true);
  writeFileSync(at("pres/new"), "");
  writeFileSync(at("pres/sentinel"), "");
  await waitFor(() => sentinel.length > 0, { label: "the sentinel" });
  expect(fired).toEqual([1]);
  rmSync(at("pres"), { recursive: true });
  await firedExactly([1, 2]);
});

test("close stops the watch", async () => {
  const { at, watcher, fired } = setup();
  expect(watcher.watch(1, [at("late")], null)).toBe(true);
  watcher.close();
  writeFileSync(at("late"), "");
  // A later watch on the same directory fires; the closed one must not have fired before it.
  expect(watcher.watch(2, [at("later")], null)).toBe(true);
  writeFileSync(at("later"), "");
  await waitFor(() => fired.length > 0, { label: "watch 2" });
  expect(fired).toEqual([2]);
});
