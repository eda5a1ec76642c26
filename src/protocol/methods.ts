// The wire, declared once: every request with the schemas of its params and result, and every
// notification with the schema of its params. Handlers, the client and the codec all read this.
import { z } from "zod";
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
  FsMissingChangedNotification,
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
import { HttpBodyDeltaNotification, HttpRequestParams, HttpRequestResult } from "./http.ts";
import { EnvironmentInfo, EnvironmentInfoParams, InitializeParams, InitializeResult } from "./initialize.ts";
import { lazy } from "./lazy.ts";
import {
  ProcessClosedNotification,
  ProcessCloseStdinParams,
  ProcessExitedNotification,
  ProcessOutputDroppedNotification,
  ProcessOutputNotification,
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

/**
 * Requests, client → server. `gate` names the method family in the handshake errors
 * (`client must call initialize before using <gate>`), as the reference words them.
 */
export const METHODS = {
  initialize: { params: InitializeParams, result: InitializeResult, gate: "" },
  "environment/info": {
    params: EnvironmentInfoParams,
    result: EnvironmentInfo,
    gate: "environment info methods",
  },
  "process/start": { params: ProcessStartParams, result: ProcessStartResult, gate: "exec methods" },
  "process/read": { params: ProcessReadParams, result: ProcessReadResult, gate: "exec methods" },
  "process/write": { params: ProcessWriteParams, result: ProcessWriteResult, gate: "exec methods" },
  "process/signal": { params: ProcessSignalParams, result: ProcessSignalResult, gate: "exec methods" },
  "process/resize": { params: ProcessResizeParams, result: ProcessResizeResult, gate: "exec methods" },
  "process/terminate": {
    params: ProcessTerminateParams,
    result: ProcessTerminateResult,
    gate: "exec methods",
  },
  "process/closeStdin": { params: ProcessCloseStdinParams, result: ProcessWriteResult, gate: "exec methods" },
  "fs/readFile": { params: FsReadFileParams, result: FsReadFileResult, gate: "filesystem methods" },
  "fs/writeFile": { params: FsWriteFileParams, result: FsWriteFileResult, gate: "filesystem methods" },
  "fs/createDirectory": {
    params: FsCreateDirectoryParams,
    result: FsCreateDirectoryResult,
    gate: "filesystem methods",
  },
  "fs/getMetadata": { params: FsGetMetadataParams, result: FsGetMetadataResult, gate: "filesystem methods" },
  "fs/readDirectory": {
    params: FsReadDirectoryParams,
    result: FsReadDirectoryResult,
    gate: "filesystem methods",
  },
  "fs/remove": { params: FsRemoveParams, result: FsRemoveResult, gate: "filesystem methods" },
  "fs/copy": { params: FsCopyParams, result: FsCopyResult, gate: "filesystem methods" },
  "fs/open": { params: FsOpenParams, result: FsOpenResult, gate: "filesystem methods" },
  "fs/readBlock": { params: FsReadBlockParams, result: FsReadBlockResult, gate: "filesystem methods" },
  "fs/writeBlock": { params: FsWriteBlockParams, result: FsWriteBlockResult, gate: "filesystem methods" },
  "fs/close": { params: FsCloseParams, result: FsCloseResult, gate: "filesystem methods" },
  "fs/walk": { params: FsWalkParams, result: FsWalkResult, gate: "filesystem methods" },
  "fs/canonicalize": {
    params: FsCanonicalizeParams,
    result: FsCanonicalizeResult,
    gate: "filesystem methods",
  },
  "fs/watchMissing": {
    params: FsWatchMissingParams,
    result: FsWatchMissingResult,
    gate: "filesystem methods",
  },
  "http/request": { params: HttpRequestParams, result: HttpRequestResult, gate: "http methods" },
  "environmentConfig/read": {
    params: EnvironmentConfigReadParams,
    result: EnvironmentConfigReadResult,
    gate: "environment config methods",
  },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType; gate: string }>;

/** Notifications: `initialized` from the client, the rest from the server. */
export const NOTIFICATIONS = {
  initialized: lazy(() => z.unknown()),
  "process/output": ProcessOutputNotification,
  "process/exited": ProcessExitedNotification,
  "process/closed": ProcessClosedNotification,
  "process/outputDropped": ProcessOutputDroppedNotification,
  "fs/missingChanged": FsMissingChangedNotification,
  "http/request/bodyDelta": HttpBodyDeltaNotification,
} as const satisfies Record<string, z.ZodType>;

export type Method = keyof typeof METHODS;
export type ParamsOf<M extends Method> = z.input<(typeof METHODS)[M]["params"]>;
export type ParsedParamsOf<M extends Method> = z.infer<(typeof METHODS)[M]["params"]>;
export type ResultOf<M extends Method> = z.infer<(typeof METHODS)[M]["result"]>;

export type Notification = keyof typeof NOTIFICATIONS;
export type NotificationParamsOf<N extends Notification> = z.infer<(typeof NOTIFICATIONS)[N]>;

export function isMethod(name: string): name is Method {
  return Object.hasOwn(METHODS, name);
}

export function isNotification(name: string): name is Notification {
  return Object.hasOwn(NOTIFICATIONS, name);
}
