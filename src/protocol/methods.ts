// Every method and notification name, declared once, with the schemas of what it carries.
import type { z } from "zod";
import { EnvironmentConfigReadParams, EnvironmentConfigReadResult } from "./environment-config.ts";
import {
  FsCopyParams,
  FsCopyResult,
  FsCreateDirectoryParams,
  FsCreateDirectoryResult,
  FsGetMetadataParams,
  FsGetMetadataResult,
  FsReadDirectoryParams,
  FsReadDirectoryResult,
  FsReadFileParams,
  FsReadFileResult,
  FsRemoveParams,
  FsRemoveResult,
  FsWriteFileParams,
  FsWriteFileResult,
} from "./fs.ts";
import {
  FsCanonicalizeParams,
  FsCanonicalizeResult,
  FsCloseParams,
  FsCloseResult,
  FsOpenParams,
  FsOpenResult,
  FsReadBlockParams,
  FsReadBlockResult,
  FsWalkParams,
  FsWalkResult,
  FsWatchMissingParams,
  FsWatchMissingResult,
  FsWriteBlockParams,
  FsWriteBlockResult,
} from "./fs-extra.ts";
import { HttpRequestParams, HttpRequestResult } from "./http.ts";
import { InitializeParams, InitializeResult } from "./initialize.ts";
import {
  ProcessCloseStdinParams,
  ProcessReadParams,
  ProcessReadResult,
  ProcessStartParams,
  ProcessStartResult,
  ProcessTerminateParams,
  ProcessTerminateResult,
  ProcessWriteParams,
  ProcessWriteResult,
} from "./process.ts";

export const METHODS = {
  initialize: { params: InitializeParams, result: InitializeResult },
  "process/start": { params: ProcessStartParams, result: ProcessStartResult },
  "process/read": { params: ProcessReadParams, result: ProcessReadResult },
  "process/write": { params: ProcessWriteParams, result: ProcessWriteResult },
  "process/terminate": { params: ProcessTerminateParams, result: ProcessTerminateResult },
  "process/closeStdin": { params: ProcessCloseStdinParams, result: ProcessWriteResult },
  "fs/readFile": { params: FsReadFileParams, result: FsReadFileResult },
  "fs/writeFile": { params: FsWriteFileParams, result: FsWriteFileResult },
  "fs/createDirectory": { params: FsCreateDirectoryParams, result: FsCreateDirectoryResult },
  "fs/getMetadata": { params: FsGetMetadataParams, result: FsGetMetadataResult },
  "fs/readDirectory": { params: FsReadDirectoryParams, result: FsReadDirectoryResult },
  "fs/remove": { params: FsRemoveParams, result: FsRemoveResult },
  "fs/copy": { params: FsCopyParams, result: FsCopyResult },
  "fs/open": { params: FsOpenParams, result: FsOpenResult },
  "fs/readBlock": { params: FsReadBlockParams, result: FsReadBlockResult },
  "fs/writeBlock": { params: FsWriteBlockParams, result: FsWriteBlockResult },
  "fs/close": { params: FsCloseParams, result: FsCloseResult },
  "fs/walk": { params: FsWalkParams, result: FsWalkResult },
  "fs/canonicalize": { params: FsCanonicalizeParams, result: FsCanonicalizeResult },
  "fs/watchMissing": { params: FsWatchMissingParams, result: FsWatchMissingResult },
  "http/request": { params: HttpRequestParams, result: HttpRequestResult },
  "environmentConfig/read": { params: EnvironmentConfigReadParams, result: EnvironmentConfigReadResult },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type Method = keyof typeof METHODS;
export type ParamsOf<M extends Method> = z.input<(typeof METHODS)[M]["params"]>;
export type ResultOf<M extends Method> = z.infer<(typeof METHODS)[M]["result"]>;

export function isMethod(name: string): name is Method {
  return Object.hasOwn(METHODS, name);
}
