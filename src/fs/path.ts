import { InvalidParams } from "../errors.ts";
import { decodePath, PathError } from "../protocol/path.ts";

/**
 * An absolute path (or file:// URI), lexically normalized: the wire's path codec, for callers of
 * a local FileSystem that did not come through the wire.
 */
export function absolutePath(path: string, field = "path"): string {
  try {
    return decodePath(path);
  } catch (error) {
    if (error instanceof PathError) throw new InvalidParams(`${field} ${error.message}`);
    throw error;
  }
}
