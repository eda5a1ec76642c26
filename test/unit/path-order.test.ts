import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { PathOrder } from "../../src/server/path-order.ts";
import { tempDir } from "../support/tmp.ts";

/** Resolved after every microtask queued before it. */
const queuedMicrotasks = () => new Promise<void>((resolve) => queueMicrotask(resolve));

/** A call that finishes when told to, recording when it started. */
function slowCall(log: string[], name: string) {
  const { promise, resolve, reject } = Promise.withResolvers<string>();
  return {
    job: () => {
      log.push(`start ${name}`);
      return promise;
    },
    finish: () => resolve(name),
    fail: () => reject(new Error(name)),
  };
}

/** Run a call, its claims as a client's request with these params would make them. */
function call(order: PathOrder, method: string, params: object, job: () => unknown) {
  const claims = order.claimsOf(method, params);
  if (!claims) throw new Error(`${method} claims nothing`);
  return order.run(claims, job);
}

test("a later write of a path waits for the earlier one; reads sent after wait too, in order", async () => {
  const order = new PathOrder();
  const log: string[] = [];
  const big = slowCall(log, "big");
  const first = call(order, "fs/writeFile", { path: "/t/f" }, big.job);
  const second = call(order, "fs/writeFile", { path: "/t/./f/" }, () => log.push("start small"));
  const third = call(order, "fs/readFile", { path: "/t/f" }, () => log.push("start read"));
  expect(second).toBeInstanceOf(Promise);
  // Every microtask queued so far has run: the later calls wait on the first, still unfinished.
  await queuedMicrotasks();
  expect(log).toEqual(["start big"]);
  big.finish();
  await Promise.all([first, second, third]);
  expect(log).toEqual(["start big", "start small", "start read"]);
});

test("calls on other paths, reads of one path, and a file's metadata beside a write under it run at once", () => {
  const order = new PathOrder();
  const log: string[] = [];
  void call(order, "fs/writeFile", { path: "/t/fifo" }, slowCall(log, "fifo").job);
  void call(order, "fs/readFile", { path: "/t/a" }, slowCall(log, "read a").job);
  // Answered at once: a value, not a promise.
  expect(call(order, "fs/writeFile", { path: "/t/other" }, () => "other")).toBe("other");
  expect(call(order, "fs/getMetadata", { path: "/t" }, () => "parent")).toBe("parent");
  expect(call(order, "fs/readFile", { path: "/t/a" }, () => "read a again")).toBe("read a again");
  expect(call(order, "fs/writeFile", { path: "/t/fifo2" }, () => "prefix sibling")).toBe("prefix sibling");
});

test("a tree's calls (listing, removal, copy) and a directory's missing parents order what they hold", async () => {
  const order = new PathOrder();
  const log: string[] = [];
  const remove = slowCall(log, "remove");
  void call(order, "fs/remove", { path: "/t/d" }, remove.job);
  expect(call(order, "fs/getMetadata", { path: "/t/d/deep/x" }, () => "under")).toBeInstanceOf(Promise);
  expect(call(order, "fs/getMetadata", { path: "/t" }, () => "above")).toBe("above");
  const mkdir = slowCall(log, "mkdir");
  void call(order, "fs/createDirectory", { path: "/u/a/b" }, mkdir.job);
  expect(call(order, "fs/getMetadata", { path: "/u" }, () => "a parent it may make")).toBeInstanceOf(Promise);
  const write = slowCall(log, "write");
  void call(order, "fs/writeFile", { path: "/v/x" }, write.job);
  expect(call(order, "fs/readDirectory", { path: "/v" }, () => "listing")).toBeInstanceOf(Promise);
  expect(
    call(order, "fs/copy", { sourcePath: "/v", destinationPath: "/w" }, () => "copy of it"),
  ).toBeInstanceOf(Promise);
  expect(call(order, "fs/readFile", { path: "/w/x" }, () => "from the copy")).toBeInstanceOf(Promise);
  expect(call(order, "fs/readDirectory", { path: "/" }, () => "everything")).toBeInstanceOf(Promise);
  remove.finish();
  mkdir.finish();
  write.finish();
});

test("a handle's calls keep their order and order its path, as its fs/open named it", async () => {
  const order = new PathOrder();
  const log: string[] = [];
  const open = slowCall(log, "open");
  void call(order, "fs/open", { handleId: "h", path: "/t/f", mode: "replace" }, open.job);
  const write = call(order, "fs/writeBlock", { handleId: "h" }, () => log.push("start writeBlock"));
  const read = call(order, "fs/readFile", { path: "/t/f" }, () => log.push("start read"));
  const close = call(order, "fs/close", { handleId: "h" }, () => log.push("start close"));
  // After its close the id names nothing: a new open of it is ordered by its own path.
  expect(call(order, "fs/open", { handleId: "h", path: "/t/g" }, () => "reopened")).toBeInstanceOf(Promise);
  open.finish();
  await Promise.all([write, read, close]);
  expect(log).toEqual(["start open", "start writeBlock", "start read", "start close"]);
  expect(order.claimsOf("process/write", {})).toBeNull();
});

test("a call that failed lets the next one run, and its error stays its own", async () => {
  const order = new PathOrder();
  const log: string[] = [];
  const first = slowCall(log, "first");
  const failed = call(order, "fs/writeFile", { path: "/t/f" }, first.job);
  const next = call(order, "fs/writeFile", { path: "/t/f" }, () => "next");
  first.fail();
  expect(failed).rejects.toThrow("first");
  expect(await next).toBe("next");
  // Nothing is in flight any more (its entry goes in a microtask): a call is answered at once again.
  await queuedMicrotasks();
  expect(call(order, "fs/writeFile", { path: "/t/f" }, () => "at once")).toBe("at once");
});

test("an fs/open refused for an id in use, or failed, names no path for the id", async () => {
  const order = new PathOrder();
  const log: string[] = [];
  await order.call("fs/open", { handleId: "h", path: "/a", mode: "replace" }, () => "opened");
  // A second open of the id is refused: the handle still writes /a.
  await expect(
    order.call("fs/open", { handleId: "h", path: "/b" }, () => Promise.reject(new Error("in use"))),
  ).rejects.toThrow("in use");
  const write = slowCall(log, "writeBlock");
  void order.call("fs/writeBlock", { handleId: "h" }, write.job);
  expect(order.call("fs/readFile", { path: "/a" }, () => "read a")).toBeInstanceOf(Promise);
  expect(order.call("fs/readFile", { path: "/b" }, () => "read b")).toBe("read b");
  write.finish();
  // An open that failed leaves nothing behind for its id: its calls claim no path.
  await expect(
    order.call("fs/open", { handleId: "g", path: "/c" }, () => Promise.reject(new Error("missing"))),
  ).rejects.toThrow("missing");
  expect(order.claimsOf("fs/readBlock", { handleId: "g" })).toEqual([
    { path: "\0g", writes: true, isTree: false },
  ]);
  // An id longer than any open may take is never kept.
  const long = "x".repeat(33);
  await expect(
    order.call("fs/open", { handleId: long, path: "/d" }, () => Promise.reject(new Error("too long"))),
  ).rejects.toThrow("too long");
  expect(order.claimsOf("fs/close", { handleId: long })).toHaveLength(1);
});

test("a write to a FIFO claims nothing: the calls after it on the FIFO or above it do not wait for its reader", () => {
  using dir = tempDir();
  const fifo = join(dir.path, "fifo");
  execFileSync("mkfifo", [fifo]);
  const order = new PathOrder();
  expect(order.claimsOf("fs/writeFile", { path: fifo })).toEqual([]);
  void order.call("fs/writeFile", { path: fifo }, slowCall([], "waits for a reader").job);
  expect(order.call("fs/remove", { path: fifo }, () => "removed")).toBe("removed");
  expect(order.call("fs/readDirectory", { path: dir.path }, () => "listed")).toBe("listed");
});
