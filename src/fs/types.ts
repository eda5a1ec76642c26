// What an Environment offers for files. Paths are absolute; results match the fs/* wire results.
import type { FsGetMetadataResult } from "../protocol/fs.ts";

export type FileMetadata = FsGetMetadataResult;

export interface FileSystem {
  getMetadata(path: string): Promise<FileMetadata>;
}
