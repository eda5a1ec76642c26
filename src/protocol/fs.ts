import { z } from "zod";
import { Empty, Sandboxed } from "./fs-fields.ts";
import { lazy } from "./lazy.ts";
import { AbsolutePath } from "./path.ts";

/** maxBytes: at most this many bytes from the start (the reference ignores it and sends all). */
export const FsReadFileParams = lazy(() =>
  z.object({
    path: AbsolutePath,
    maxBytes: z.int().min(0).nullish(),
    ...Sandboxed,
  }),
);
export type FsReadFileParams = z.infer<typeof FsReadFileParams>;
export const FsReadFileResult = lazy(() => z.object({ dataBase64: z.string() }));
export type FsReadFileResult = z.infer<typeof FsReadFileResult>;

/** dataBase64 is checked by the handler: invalid base64 is -32600 here, not -32602. */
export const FsWriteFileParams = lazy(() =>
  z.object({ path: AbsolutePath, dataBase64: z.string(), ...Sandboxed }),
);
export type FsWriteFileParams = z.infer<typeof FsWriteFileParams>;
export const FsWriteFileResult = Empty;

export const FsCreateDirectoryParams = lazy(() =>
  z.object({
    path: AbsolutePath,
    recursive: z.boolean().nullish(),
    ...Sandboxed,
  }),
);
export type FsCreateDirectoryParams = z.infer<typeof FsCreateDirectoryParams>;
export const FsCreateDirectoryResult = Empty;

export const FsGetMetadataParams = lazy(() => z.object({ path: AbsolutePath, ...Sandboxed }));
export type FsGetMetadataParams = z.infer<typeof FsGetMetadataParams>;
export const FsGetMetadataResult = lazy(() =>
  z.object({
    isDirectory: z.boolean(),
    isFile: z.boolean(),
    isSymlink: z.boolean(),
    /** Bytes (of the target, for a link); a Codex 0.169+ client requires it. */
    size: z.number(),
    createdAtMs: z.number(),
    modifiedAtMs: z.number(),
  }),
);
export type FsGetMetadataResult = z.infer<typeof FsGetMetadataResult>;

export const FsReadDirectoryParams = lazy(() => z.object({ path: AbsolutePath, ...Sandboxed }));
export type FsReadDirectoryParams = z.infer<typeof FsReadDirectoryParams>;
export const DirectoryEntry = lazy(() =>
  z.object({
    fileName: z.string(),
    isDirectory: z.boolean(),
    isFile: z.boolean(),
  }),
);
export type DirectoryEntry = z.infer<typeof DirectoryEntry>;
export const FsReadDirectoryResult = lazy(() => z.object({ entries: z.array(DirectoryEntry) }));
export type FsReadDirectoryResult = z.infer<typeof FsReadDirectoryResult>;

export const FsRemoveParams = lazy(() =>
  z.object({
    path: AbsolutePath,
    recursive: z.boolean().nullish(),
    force: z.boolean().nullish(),
    ...Sandboxed,
  }),
);
export type FsRemoveParams = z.infer<typeof FsRemoveParams>;
export const FsRemoveResult = Empty;

export const FsCopyParams = lazy(() =>
  z.object({
    sourcePath: AbsolutePath,
    destinationPath: AbsolutePath,
    recursive: z.boolean(),
    ...Sandboxed,
  }),
);
export type FsCopyParams = z.infer<typeof FsCopyParams>;
export const FsCopyResult = Empty;
