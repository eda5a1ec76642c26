import { posix } from "node:path";
import { InvalidParams, InvalidRequest } from "../errors.ts";

/** An absolute path, lexically normalized (`..` resolved without touching the disk). */
export function absolutePath(path: string, field = "path"): string {
  if (path.length === 0) throw new InvalidParams(`${field} must not be empty`);
  if (!posix.isAbsolute(path)) throw new InvalidParams(`${field} must be an absolute path: ${path}`);
  if (path.includes("\0")) throw new InvalidRequest("file name contained an unexpected NUL byte");
  // A lone surrogate would become U+FFFD: two different paths would name one file.
  if (!path.isWellFormed())
    throw new InvalidParams(`${field} must be well-formed Unicode (no lone surrogates)`);
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}
