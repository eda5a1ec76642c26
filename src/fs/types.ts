// What an Environment offers for files. Paths are absolute; bytes are Uint8Array (base64 on the wire).
import type { DirectoryEntry, FsGetMetadataResult } from "../protocol/fs.ts";
import type { FileHandleMode } from "../protocol/fs-extra.ts";
import type { WalkOptions, WalkResult } from "./walk.ts";

export type FileMetadata = FsGetMetadataResult;
export type { DirectoryEntry, FileHandleMode, WalkOptions, WalkResult };

/** A file opened for block reads (`read`) or positional writes (`replace`). */
export interface OpenFile {
  /** At most `length` bytes (1..1 MiB) from `offset`; isEof when fewer came back. */
  readBlock(offset: number, length: number): Promise<{ data: Uint8Array; isEof: boolean }>;
  /** 1..1 MiB at `offset`; a gap before it reads back as zeros. */
  writeBlock(offset: number, data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface FileSystem {
  /** The whole file, or its first maxBytes bytes. */
  readFile(path: string, options?: { maxBytes?: number | null }): Promise<Uint8Array>;
  /**
   * Create or truncate; the parent must exist. A FIFO waits for a reader (until `signal` aborts);
   * a device is written as it is.
   */
  writeFile(path: string, data: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>;
  /** recursive defaults to true (an existing directory is then fine). */
  createDirectory(path: string, options?: { recursive?: boolean | null }): Promise<void>;
  getMetadata(path: string): Promise<FileMetadata>;
  readDirectory(path: string): Promise<DirectoryEntry[]>;
  /** recursive and force default to true; a symlink is removed, never its target. */
  remove(path: string, options?: { recursive?: boolean | null; force?: boolean | null }): Promise<void>;
  /** Links are copied as links; special files are refused at the top, skipped inside a tree. */
  copy(
    sourcePath: string,
    destinationPath: string,
    options: { recursive: boolean; signal?: AbortSignal },
  ): Promise<void>;
  /** A bounded breadth-first listing (see src/fs/walk.ts for the rules). */
  walk(path: string, options: WalkOptions): Promise<WalkResult>;
  /** `..` resolved lexically, then every link. */
  canonicalize(path: string): Promise<string>;
  /** Regular files only; `replace` creates or truncates at once. At most 128 open at a time. */
  open(path: string, options?: { mode?: FileHandleMode }): Promise<OpenFile>;
  /**
   * Replace the one missing-path watch (ids must grow; see src/fs/watch-missing.ts). Whether it
   * watches; the change is told once to the onMissingChanged listeners.
   */
  watchMissing(watchId: number, missing: string[], present?: string | null): Promise<boolean>;
  onMissingChanged(listener: (watchId: number) => void): () => void;
}
