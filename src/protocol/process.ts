import { z } from "zod";
import { EnvMap, OsText } from "./os-text.ts";

/** Whether text is strict standard base64 (RFC 4648 §4, padded, canonical last symbol). */
export function isBase64(text: string): boolean {
  return decodeStrictBase64(text) !== null;
}

/**
 * The bytes of strict base64, or null. The native decoder in strict mode refuses characters
 * outside the standard alphabet, misplaced or missing padding and non-zero bits after the last
 * byte, but skips ASCII whitespace: the decoded length must then be exactly what the text's
 * length promises. One native pass (~0.15 ms per MiB).
 */
export function decodeStrictBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const bytes = Buffer.allocUnsafe((text.length / 4) * 3 - padding);
  try {
    const { read, written } = bytes.setFromBase64(text, { lastChunkHandling: "strict" });
    return read === text.length && written === bytes.length ? bytes : null;
  } catch {
    return null;
  }
}

export const Base64 = z.string().refine(isBase64, "invalid base64");

const Count = z.int().min(0);

export const EnvPolicy = z.object({
  inherit: z.enum(["all", "core", "none"]),
  ignoreDefaultExcludes: z.boolean(),
  exclude: z.array(z.string()),
  set: EnvMap,
  includeOnly: z.array(z.string()),
});
export type EnvPolicy = z.infer<typeof EnvPolicy>;

export const TerminalSize = z.object({ rows: z.int().min(1).max(65535), cols: z.int().min(1).max(65535) });
export type TerminalSize = z.infer<typeof TerminalSize>;

export const ProcessStartParams = z.object({
  processId: z.string(),
  argv: z.array(OsText),
  cwd: OsText,
  env: EnvMap,
  tty: z.boolean(),
  pipeStdin: z.boolean().nullish(),
  arg0: OsText.nullish(),
  envPolicy: EnvPolicy.nullish(),
  size: TerminalSize.nullish(),
});
export type ProcessStartParams = z.infer<typeof ProcessStartParams>;

export const ProcessStartResult = z.object({ processId: z.string() });
export type ProcessStartResult = z.infer<typeof ProcessStartResult>;

export const OutputStream = z.enum(["stdout", "stderr", "pty"]);
export type OutputStream = z.infer<typeof OutputStream>;

export const ProcessReadParams = z.object({
  processId: z.string(),
  afterSeq: Count.nullish(),
  maxBytes: Count.nullish(),
  waitMs: Count.nullish(),
});
export type ProcessReadParams = z.infer<typeof ProcessReadParams>;

export const ProcessOutputChunk = z.object({ seq: z.int(), stream: OutputStream, chunk: Base64 });
export type ProcessOutputChunk = z.infer<typeof ProcessOutputChunk>;

export const ProcessReadResult = z.object({
  chunks: z.array(ProcessOutputChunk),
  nextSeq: z.int(),
  exited: z.boolean(),
  exitCode: z.int().nullable(),
  closed: z.boolean(),
  failure: z.string().nullable(),
  signal: z.string().nullish(),
});
export type ProcessReadResult = z.infer<typeof ProcessReadResult>;

export const ProcessWriteParams = z.object({ processId: z.string(), chunk: Base64 });
export type ProcessWriteParams = z.infer<typeof ProcessWriteParams>;

export const WriteStatus = z.enum(["accepted", "unknownProcess", "stdinClosed", "starting"]);
export type WriteStatus = z.infer<typeof WriteStatus>;

export const ProcessWriteResult = z.object({ status: WriteStatus });
export type ProcessWriteResult = z.infer<typeof ProcessWriteResult>;

/** [ext] End the program's stdin (pipe: close it; PTY: send the EOF character). */
export const ProcessCloseStdinParams = z.object({ processId: z.string() });
export type ProcessCloseStdinParams = z.infer<typeof ProcessCloseStdinParams>;

export const ProcessTerminateParams = z.object({ processId: z.string() });
export type ProcessTerminateParams = z.infer<typeof ProcessTerminateParams>;

export const ProcessTerminateResult = z.object({ running: z.boolean() });
export type ProcessTerminateResult = z.infer<typeof ProcessTerminateResult>;

export const ProcessOutputNotification = z.object({
  processId: z.string(),
  seq: z.int(),
  stream: OutputStream,
  chunk: Base64,
});
export type ProcessOutputNotification = z.infer<typeof ProcessOutputNotification>;

export const ProcessExitedNotification = z.object({
  processId: z.string(),
  seq: z.int(),
  exitCode: z.int(),
  signal: z.string().nullish(),
});
export type ProcessExitedNotification = z.infer<typeof ProcessExitedNotification>;

export const ProcessClosedNotification = z.object({ processId: z.string(), seq: z.int() });
export type ProcessClosedNotification = z.infer<typeof ProcessClosedNotification>;
