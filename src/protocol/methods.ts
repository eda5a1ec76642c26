// The wire, declared once: every request with the schemas of its params and result, and every
// notification with the schema of its params. Handlers, the client and the codec all read this.
import { z } from "zod";
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
import { EnvironmentInfo, EnvironmentInfoParams, InitializeParams, InitializeResult } from "./initialize.ts";
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
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType; gate: string }>;

/** Notifications: `initialized` from the client, the rest from the server. */
export const NOTIFICATIONS = {
  initialized: z.unknown(),
  "process/output": ProcessOutputNotification,
  "process/exited": ProcessExitedNotification,
  "process/closed": ProcessClosedNotification,
  "process/outputDropped": ProcessOutputDroppedNotification,
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
