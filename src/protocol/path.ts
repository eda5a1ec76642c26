// The one path codec of the wire. Codex 0.125 sends plain absolute paths; Codex 0.169+ sends
// file:// URIs (percent-encoded UTF-8). The two dialects cannot be told apart at initialize, so
// every path field accepts both forms, decided per value. Results of methods only today's clients
// call carry URIs.
import { z } from "zod";
import { lazy } from "./lazy.ts";

export class PathError extends Error {}

/**
 * A path field's text as an absolute path, lexically normalized (`.` and `..` resolved without
 * touching the disk, no trailing slash). Throws PathError with the reason.
 */
export function decodePath(text: string): string {
  if (text.length === 0) throw new PathError("must not be empty");
  // A lone surrogate would be rewritten to U+FFFD on its way to the OS: two names would collide.
  if (!text.isWellFormed()) throw new PathError("must be well-formed Unicode (a lone surrogate was sent)");
  const path = text.startsWith("/") ? text : uriPath(text);
  if (path.includes("\0")) throw new PathError("must not contain a NUL byte");
  return normalizePath(path);
}

function uriPath(text: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1];
  if (scheme === undefined) throw new PathError("must be an absolute path or a file:// URI");
  if (scheme.toLowerCase() !== "file") throw new PathError(`unsupported path URI scheme \`${scheme}\``);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PathError("is not a valid file URI");
  }
  // WHATWG URL reads `file://localhost/x` as an empty host.
  if (url.host !== "") throw new PathError(`file URI host \`${url.host}\` is not this host`);
  if (url.search !== "" || text.includes("?"))
    throw new PathError("query parameters are not allowed in path URIs");
  if (url.hash !== "" || text.includes("#")) throw new PathError("fragments are not allowed in path URIs");
  const segments = url.pathname.split("/");
  try {
    return segments.map((segment) => decodeSegment(segment)).join("/");
  } catch (error) {
    if (error instanceof PathError) throw error;
    throw new PathError("has an invalid percent-encoding (not UTF-8)");
  }
}

function decodeSegment(segment: string): string {
  const decoded = decodeURIComponent(segment);
  // An encoded slash would make one name into two components.
  if (decoded.includes("/")) throw new PathError("must not encode a slash inside a path segment");
  return decoded;
}

/** An empty, `.` or `..` segment, or a trailing slash: what normalizing changes. */
const UNNORMAL = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

/** `/a/./b/../c/` → `/a/c`; `..` above the root stays at the root. */
export function normalizePath(path: string): string {
  // Most paths are normal already: one native test instead of a split and a join.
  if (!UNNORMAL.test(path)) return path;
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** An absolute path as a file:// URI, each segment percent-encoded as Codex 0.169+ encodes it. */
export function toFileUri(path: string): string {
  return `file://${path
    .split("/")
    .map((segment) => encodeURIComponent(segment.toWellFormed()))
    .join("/")}`;
}

/**
 * A path as a client of today's dialect sends it: a plain absolute path becomes a file:// URI
 * (a 0.169+ server takes nothing else); anything else goes as it is, for the server to judge.
 */
export function wirePath(path: string): string {
  return path.startsWith("/") && path.isWellFormed() ? toFileUri(path) : path;
}

/** A path field: a plain absolute path or a file:// URI, decoded to a normalized absolute path. */
export const AbsolutePath = lazy(() =>
  z.string().transform((text, context) => {
    try {
      return decodePath(text);
    } catch (error) {
      if (!(error instanceof PathError)) throw error;
      context.addIssue({ code: "custom", message: error.message });
      return z.NEVER;
    }
  }),
);

/** A path in a result: always a file:// URI (only today's clients call the methods that send them). */
export const PathUri = lazy(() => z.string().startsWith("file:"));
