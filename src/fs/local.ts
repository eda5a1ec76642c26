// Filesystem calls on this host.
import { lstat, stat } from "node:fs/promises";
import { fsError } from "./os-error.ts";
import { absolutePath } from "./path.ts";
import type { FileMetadata, FileSystem } from "./types.ts";

export class LocalFileSystem implements FileSystem {
  async getMetadata(path: string): Promise<FileMetadata> {
    const target = absolutePath(path);
    try {
      const link = await lstat(target);
      const info = link.isSymbolicLink() ? await stat(target) : link;
      return {
        isDirectory: info.isDirectory(),
        isFile: info.isFile(),
        isSymlink: link.isSymbolicLink(),
        createdAtMs: Math.floor(info.birthtimeMs || 0),
        modifiedAtMs: Math.floor(info.mtimeMs),
      };
    } catch (error) {
      throw fsError(error);
    }
  }
}
