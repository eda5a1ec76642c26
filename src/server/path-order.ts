// Requests on a connection run concurrently (a long poll never holds up a write; docs/protocol.md),
// but two fs calls that touch the same path take effect in the order they came, as the reference's
// one-at-a-time answers have them: a later fs/writeFile of a file never loses to an earlier, larger
// one still being written, and a read sent after a write sees it. A call waits only for the calls
// before it that it conflicts with: one of the two writes, and they touch one path, or one of them
// touches a whole tree (a listing, a walk, a removal, a copy) that holds the other's path. Paths
// are compared lexically (a link's two names are not known to name one file). Reads never wait for
// reads. A file handle's calls touch its path, as its fs/open named it, and the handle itself.
import { lstatSync } from "node:fs";
import { posix } from "node:path";
import { MAX_HANDLE_ID_BYTES } from "../fs/handles.ts";
import type { ParsedParamsOf } from "../protocol/methods.ts";

export interface PathClaim {
  /** An absolute path, normalized; a handle's key is `\0` and its id (never a path). */
  readonly path: string;
  readonly writes: boolean;
  /** The path and everything under it. */
  readonly isTree: boolean;
}

interface InFlight {
  readonly claims: readonly PathClaim[];
  /** Settles (never rejects) once the call has finished. */
  readonly settled: Promise<unknown>;
}

const normalized = (path: string) => {
  const clean = posix.normalize(path);
  return clean.length > 1 && clean.endsWith("/") ? clean.slice(0, -1) : clean;
};
const claim = (path: string, writes: boolean, isTree = false): PathClaim => ({
  path: normalized(path),
  writes,
  isTree,
});
const handleKey = (handleId: string): PathClaim => ({ path: `\0${handleId}`, writes: true, isTree: false });

/** A directory created with its missing parents: each of them may be made. */
function withParents(path: string): PathClaim[] {
  const made = claim(path, true);
  const claims = [made];
  for (let dir = posix.dirname(made.path); dir !== "/"; dir = posix.dirname(dir))
    claims.push(claim(dir, true));
  return claims;
}

/**
 * A write of data to a path: none where the path is a FIFO, a device or a socket. Their data goes
 * to a reader, nothing is kept there to order, and a FIFO's write waits for a reader as long as it
 * takes: the calls after it (a removal of the FIFO, a listing above it) must not wait with it.
 */
function writesData(path: string, isTree = false): PathClaim[] {
  let info: ReturnType<typeof lstatSync> | undefined;
  try {
    info = lstatSync(path);
  } catch {
    // Not there yet (or not to be looked at): a file it makes.
  }
  const isSpecial = info !== undefined && (info.isFIFO() || info.isCharacterDevice() || info.isSocket());
  return isSpecial ? [] : [claim(path, true, isTree)];
}

/** Whether `path` is `root` or under it. */
const isWithin = (path: string, root: string) =>
  path === root || (!path.startsWith("\0") && (root === "/" || path.startsWith(`${root}/`)));

function overlaps(x: PathClaim, y: PathClaim): boolean {
  return (
    x.path === y.path || (x.isTree && isWithin(y.path, x.path)) || (y.isTree && isWithin(x.path, y.path))
  );
}

function conflicts(a: readonly PathClaim[], b: readonly PathClaim[]): boolean {
  return a.some((x) => b.some((y) => (x.writes || y.writes) && overlaps(x, y)));
}

const ignore = () => {};

/** One connection's order of fs calls. */
export class PathOrder {
  readonly #inFlight = new Set<InFlight>();
  /** Each handle's path, as its fs/open named it: set and dropped in the order the calls came. */
  readonly #handlePaths = new Map<string, string>();
  /** The ids an fs/open has opened and no fs/close has closed yet. */
  readonly #openIds = new Set<string>();

  /** What a call touches, or null for a method that touches no path. */
  claimsOf(method: string, params: unknown): PathClaim[] | null {
    switch (method) {
      case "fs/readFile":
      case "fs/getMetadata":
      case "fs/canonicalize":
        return [claim((params as { path: string }).path, false)];
      case "fs/readDirectory":
      case "fs/walk":
        return [claim((params as { path: string }).path, false, true)];
      case "fs/writeFile":
        return writesData((params as { path: string }).path);
      case "fs/createDirectory":
        return withParents((params as { path: string }).path);
      case "fs/remove":
        return [claim((params as { path: string }).path, true, true)];
      case "fs/copy": {
        const { sourcePath, destinationPath } = params as ParsedParamsOf<"fs/copy">;
        return [claim(sourcePath, false, true), ...writesData(destinationPath, true)];
      }
      case "fs/open": {
        const { handleId, path, mode } = params as ParsedParamsOf<"fs/open">;
        // A new id the open may take (a refused one must not name another handle's path).
        if (!this.#handlePaths.has(handleId) && Buffer.byteLength(handleId) <= MAX_HANDLE_ID_BYTES)
          this.#handlePaths.set(handleId, path);
        return [claim(path, mode === "replace"), handleKey(handleId)];
      }
      case "fs/readBlock":
      case "fs/writeBlock":
      case "fs/close": {
        const { handleId } = params as { handleId: string };
        const path = this.#handlePaths.get(handleId);
        if (method === "fs/close") {
          this.#handlePaths.delete(handleId);
          this.#openIds.delete(handleId);
        }
        const claims = [handleKey(handleId)];
        if (path !== undefined) claims.push(claim(path, method !== "fs/readBlock"));
        return claims;
      }
      default:
        return null;
    }
  }

  /** A call's claims taken and its job run in order (see run); an open that fails frees its id. */
  call<T>(method: string, params: unknown, job: () => T | Promise<T>): T | Promise<T> {
    const claims = this.claimsOf(method, params);
    if (!claims) return job();
    if (method !== "fs/open") return this.run(claims, job);
    const { handleId, path } = params as { handleId: string; path: string };
    const forget = () => {
      if (this.#handlePaths.get(handleId) === path && !this.#openIds.has(handleId))
        this.#handlePaths.delete(handleId);
    };
    const opened = async () => {
      const value = await job();
      this.#openIds.add(handleId);
      return value;
    };
    const result = this.run(claims, opened) as Promise<T>;
    result.catch(forget);
    return result;
  }

  /**
   * Run `job` once every earlier call it conflicts with has finished; at once (its value as it is,
   * not a promise) when none is in flight.
   */
  run<T>(claims: readonly PathClaim[], job: () => T | Promise<T>): T | Promise<T> {
    const before: Promise<unknown>[] = [];
    for (const call of this.#inFlight) if (conflicts(call.claims, claims)) before.push(call.settled);
    const result = before.length === 0 ? job() : Promise.all(before).then(() => job());
    if (result instanceof Promise) {
      const call: InFlight = { claims, settled: result.then(ignore, ignore) };
      this.#inFlight.add(call);
      void call.settled.then(() => this.#inFlight.delete(call));
    }
    return result;
  }
}
