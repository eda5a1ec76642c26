// The filesystem methods of the 0.169+ dialect: file handles, walk, canonicalize, watchMissing.
// Request paths are the path codec's (plain or file:// URI); result paths are always URIs.
import { z } from "zod";
import { Empty, Sandboxed } from "./fs-fields.ts";
import { lazy } from "./lazy.ts";
import { AbsolutePath, PathUri } from "./path.ts";
import { unitVariant } from "./variant.ts";

/** u64 on the reference: negative or fractional numbers are refused. */
const Offset = lazy(() => z.int().min(0));

export const FileHandleMode = lazy(() => unitVariant(["read", "replace"]));
export type FileHandleMode = z.infer<typeof FileHandleMode>;

export const FsOpenParams = lazy(() =>
  z.object({
    handleId: z.string(),
    path: AbsolutePath,
    mode: FileHandleMode.optional(),
    ...Sandboxed,
  }),
);
export type FsOpenParams = z.infer<typeof FsOpenParams>;
export const FsOpenResult = lazy(() => z.object({ handleId: z.string() }));
export type FsOpenResult = z.infer<typeof FsOpenResult>;

export const FsReadBlockParams = lazy(() => z.object({ handleId: z.string(), offset: Offset, len: Offset }));
export type FsReadBlockParams = z.infer<typeof FsReadBlockParams>;
export const FsReadBlockResult = lazy(() => z.object({ chunk: z.string(), eof: z.boolean() }));
export type FsReadBlockResult = z.infer<typeof FsReadBlockResult>;

/** chunk is checked by the handler: bad base64 is -32602, a bad length -32600. */
export const FsWriteBlockParams = lazy(() =>
  z.object({ handleId: z.string(), offset: Offset, chunk: z.string() }),
);
export type FsWriteBlockParams = z.infer<typeof FsWriteBlockParams>;
export const FsWriteBlockResult = Empty;

export const FsCloseParams = lazy(() => z.object({ handleId: z.string() }));
export type FsCloseParams = z.infer<typeof FsCloseParams>;
export const FsCloseResult = Empty;

export const WalkOptions = lazy(() =>
  z.object({
    maxDepth: Offset,
    maxDirectories: Offset,
    maxEntries: Offset,
    followDirectorySymlinks: z.boolean(),
    pruneHiddenDirectories: z.boolean().optional(),
  }),
);
export type WalkOptions = z.infer<typeof WalkOptions>;

export const FsWalkParams = lazy(() => z.object({ path: AbsolutePath, options: WalkOptions, ...Sandboxed }));
export type FsWalkParams = z.infer<typeof FsWalkParams>;
export const WalkEntry = lazy(() => z.object({ path: PathUri, kind: z.enum(["file", "directory"]) }));
export type WalkEntry = z.infer<typeof WalkEntry>;
export const WalkError = lazy(() => z.object({ path: PathUri, message: z.string() }));
export type WalkError = z.infer<typeof WalkError>;
export const FsWalkResult = lazy(() =>
  z.object({
    entries: z.array(WalkEntry),
    errors: z.array(WalkError),
    truncated: z.boolean(),
  }),
);
export type FsWalkResult = z.infer<typeof FsWalkResult>;

export const FsCanonicalizeParams = lazy(() => z.object({ path: AbsolutePath, ...Sandboxed }));
export type FsCanonicalizeParams = z.infer<typeof FsCanonicalizeParams>;
export const FsCanonicalizeResult = lazy(() => z.object({ path: PathUri }));
export type FsCanonicalizeResult = z.infer<typeof FsCanonicalizeResult>;

/**
 * A u64 on the reference. Ids past 2^53 arrive rounded (JSON numbers are doubles here), which only
 * matters for telling two such ids apart.
 */
const WatchId = lazy(() => z.number().min(0).refine(Number.isInteger, "expected an integer"));

export const FsWatchMissingParams = lazy(() =>
  z.object({
    watchId: WatchId,
    missing: z.array(AbsolutePath),
    present: AbsolutePath.nullish(),
    ...Sandboxed,
  }),
);
export type FsWatchMissingParams = z.infer<typeof FsWatchMissingParams>;
export const FsWatchMissingResult = lazy(() => z.object({ watching: z.boolean() }));
export type FsWatchMissingResult = z.infer<typeof FsWatchMissingResult>;

export const FsMissingChangedNotification = lazy(() => z.object({ watchId: WatchId }));
export type FsMissingChangedNotification = z.infer<typeof FsMissingChangedNotification>;
