import { z } from "zod";
import { isBase64 } from "./codec.ts";
import { lazy } from "./lazy.ts";
import { EnvMap, OsText } from "./os-text.ts";
import { AbsolutePath } from "./path.ts";
import { SandboxContext, SandboxType } from "./sandbox.ts";

export { decodeStrictBase64, isBase64 } from "./codec.ts";

export const Base64 = lazy(() => z.string().refine(isBase64, "invalid base64"));

const Count = lazy(() => z.int().min(0));

export const EnvPolicy = lazy(() =>
  z.object({
    inherit: z.enum(["all", "core", "none"]),
    ignoreDefaultExcludes: z.boolean(),
    exclude: z.array(z.string()),
    set: EnvMap,
    includeOnly: z.array(z.string()),
  }),
);
export type EnvPolicy = z.infer<typeof EnvPolicy>;

export const TerminalSize = lazy(() =>
  z.object({ rows: z.int().min(1).max(65535), cols: z.int().min(1).max(65535) }),
);
export type TerminalSize = z.infer<typeof TerminalSize>;

export const ProcessStartParams = lazy(() =>
  z.object({
    processId: z.string(),
    argv: z.array(OsText),
    cwd: AbsolutePath,
    env: EnvMap,
    tty: z.boolean(),
    pipeStdin: z.boolean().nullish(),
    arg0: OsText.nullish(),
    envPolicy: EnvPolicy.nullish(),
    size: TerminalSize.nullish(),
    /** 0.169+: the thread and tool call the command belongs to (not used here). */
    metadata: z.looseObject({}).nullish(),
    /** 0.169+: the sandbox to run the command in (see src/sandbox/). */
    sandbox: SandboxContext.nullish(),
    enforceManagedNetwork: z.boolean().nullish(),
    managedNetwork: z.looseObject({}).nullish(),
    networkProxy: z.unknown().optional(),
  }),
);
export type ProcessStartParams = z.infer<typeof ProcessStartParams>;

export const ProcessStartResult = lazy(() =>
  z.object({ processId: z.string(), sandboxType: SandboxType.optional() }),
);
export type ProcessStartResult = z.infer<typeof ProcessStartResult>;

export const OutputStream = lazy(() => z.enum(["stdout", "stderr", "pty"]));
export type OutputStream = z.infer<typeof OutputStream>;

export const ProcessReadParams = lazy(() =>
  z.object({
    processId: z.string(),
    afterSeq: Count.nullish(),
    maxBytes: Count.nullish(),
    waitMs: Count.nullish(),
  }),
);
export type ProcessReadParams = z.infer<typeof ProcessReadParams>;

export const ProcessOutputChunk = lazy(() => z.object({ seq: z.int(), stream: OutputStream, chunk: Base64 }));
export type ProcessOutputChunk = z.infer<typeof ProcessOutputChunk>;

export const ProcessReadResult = lazy(() =>
  z.object({
    chunks: z.array(ProcessOutputChunk),
    nextSeq: z.int(),
    exited: z.boolean(),
    exitCode: z.int().nullable(),
    closed: z.boolean(),
    failure: z.string().nullable(),
    /** 0.169+: whether the sandbox denied the command something it then failed on. */
    sandboxDenied: z.boolean().optional(),
    signal: z.string().nullish(),
  }),
);
export type ProcessReadResult = z.infer<typeof ProcessReadResult>;

/**
 * `writeId` (0.169+, absent from 0.125): a write whose id this process has seen is answered
 * `accepted` and not written again, so a client may retry a write it got no answer to.
 */
export const ProcessWriteParams = lazy(() =>
  z.object({
    processId: z.string(),
    chunk: Base64,
    writeId: z.string().min(1, "writeId must not be empty").nullish(),
  }),
);
export type ProcessWriteParams = z.infer<typeof ProcessWriteParams>;

export const WriteStatus = lazy(() => z.enum(["accepted", "unknownProcess", "stdinClosed", "starting"]));
export type WriteStatus = z.infer<typeof WriteStatus>;

export const ProcessWriteResult = lazy(() => z.object({ status: WriteStatus }));
export type ProcessWriteResult = z.infer<typeof ProcessWriteResult>;

/** [ext] End the program's stdin (pipe: close it; PTY: send the EOF character). */
export const ProcessCloseStdinParams = lazy(() => z.object({ processId: z.string() }));
export type ProcessCloseStdinParams = z.infer<typeof ProcessCloseStdinParams>;

/**
 * Signals by name. Codex 0.169+ sends only `interrupt`; the others are ours [ext]. Each goes to the
 * program's whole process group.
 */
export const SIGNALS = {
  interrupt: "SIGINT",
  terminate: "SIGTERM",
  kill: "SIGKILL",
  hangup: "SIGHUP",
  quit: "SIGQUIT",
  user1: "SIGUSR1",
  user2: "SIGUSR2",
} as const;
export const SignalName = lazy(() =>
  z.enum(Object.keys(SIGNALS) as [keyof typeof SIGNALS, ...(keyof typeof SIGNALS)[]]),
);
export type SignalName = z.infer<typeof SignalName>;

export const ProcessSignalParams = lazy(() => z.object({ processId: z.string(), signal: SignalName }));
export type ProcessSignalParams = z.infer<typeof ProcessSignalParams>;
export const ProcessSignalResult = lazy(() => z.object({}));

/** [ext] A PTY process's new window size: its terminal is resized and its group gets SIGWINCH. */
export const ProcessResizeParams = lazy(() => z.object({ processId: z.string(), ...TerminalSize.shape }));
export type ProcessResizeParams = z.infer<typeof ProcessResizeParams>;
export const ProcessResizeResult = lazy(() => z.object({}));

export const ProcessTerminateParams = lazy(() => z.object({ processId: z.string() }));
export type ProcessTerminateParams = z.infer<typeof ProcessTerminateParams>;

export const ProcessTerminateResult = lazy(() => z.object({ running: z.boolean() }));
export type ProcessTerminateResult = z.infer<typeof ProcessTerminateResult>;

export const ProcessOutputNotification = lazy(() =>
  z.object({
    processId: z.string(),
    seq: z.int(),
    stream: OutputStream,
    chunk: Base64,
  }),
);
export type ProcessOutputNotification = z.infer<typeof ProcessOutputNotification>;

export const ProcessExitedNotification = lazy(() =>
  z.object({
    processId: z.string(),
    seq: z.int(),
    exitCode: z.int(),
    sandboxDenied: z.boolean().optional(),
    signal: z.string().nullish(),
  }),
);
export type ProcessExitedNotification = z.infer<typeof ProcessExitedNotification>;

export const ProcessClosedNotification = lazy(() => z.object({ processId: z.string(), seq: z.int() }));
export type ProcessClosedNotification = z.infer<typeof ProcessClosedNotification>;

/** [ext] Sent once per stall when output notifications are dropped for a slow reader. */
export const ProcessOutputDroppedNotification = lazy(() =>
  z.object({ bufferedBytes: z.int(), limitBytes: z.int() }),
);
export type ProcessOutputDroppedNotification = z.infer<typeof ProcessOutputDroppedNotification>;
