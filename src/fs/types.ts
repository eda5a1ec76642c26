// What an Environment offers for files. Paths are absolute; bytes are Uint8Array (base64 on the wire).
import type { DirectoryEntry, FsGetMetadataResult } from "../protocol/fs.ts";

export type FileMetadata = FsGetMetadataResult;
export type { DirectoryEntry };

export interface FileSystem {
  readFile(path: string): Promise<Uint8Array>;
  /** Create or truncate; the parent must exist. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** recursive defaults to true (an existing directory is then fine). */
  createDirectory(path: string, options?: { recursive?: boolean | null }): Promise<void>;
  getMetadata(path: string): Promise<FileMetadata>;
  readDirectory(path: string): Promise<DirectoryEntry[]>;
  /** recursive and force default to true; a symlink is removed, never its target. */
  remove(path: string, options?: { recursive?: boolean | null; force?: boolean | null }): Promise<void>;
  /** Links are copied as links; special files are refused at the top, skipped inside a tree. */
  copy(sourcePath: string, destinationPath: string, options: { recursive: boolean }): Promise<void>;
}
