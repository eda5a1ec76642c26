// Every method and notification name, declared once, with the schemas of what it carries.
import type { z } from "zod";
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
import { InitializeParams, InitializeResult } from "./initialize.ts";
import {
  ProcessCloseStdinParams,
  ProcessReadParams,
  ProcessReadResult,
  ProcessResizeParams,
  ProcessResizeResult,
  ProcessSignalParams,
  ProcessSignalResult,
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
  "process/signal": { params: ProcessSignalParams, result: ProcessSignalResult },
  "process/resize": { params: ProcessResizeParams, result: ProcessResizeResult },
  "process/terminate": { params: ProcessTerminateParams, result: ProcessTerminateResult },
  "process/closeStdin": { params: ProcessCloseStdinParams, result: ProcessWriteResult },
  "fs/readFile": { params: FsReadFileParams, result: FsReadFileResult },
  "fs/writeFile": { params: FsWriteFileParams, result: FsWriteFileResult },
  "fs/createDirectory": { params: FsCreateDirectoryParams, result: FsCreateDirectoryResult },
  "fs/getMetadata": { params: FsGetMetadataParams, result: FsGetMetadataResult },
  "fs/readDirectory": { params: FsReadDirectoryParams, result: FsReadDirectoryResult },
  "fs/remove": { params: FsRemoveParams, result: FsRemoveResult },
  "fs/copy": { params: FsCopyParams, result: FsCopyResult },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type Method = keyof typeof METHODS;
export type ParamsOf<M extends Method> = z.input<(typeof METHODS)[M]["params"]>;
export type ResultOf<M extends Method> = z.infer<(typeof METHODS)[M]["result"]>;

export function isMethod(name: string): name is Method {
  return Object.hasOwn(METHODS, name);
}
