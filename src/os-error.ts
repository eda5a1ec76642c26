// OS errors (from node:fs and spawning) turned into ours: not found → NotFound, invalid or denied → InvalidRequest,
// anything else → InternalError; the message is the OS error text, as the reference words it.
import { constants } from "node:os";
import { getSystemErrorMap } from "node:util";
import { type AppError, InternalError, InvalidRequest, NotFound } from "./errors.ts";

const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  EEXIST: "File exists",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  ENOTEMPTY: "Directory not empty",
  EINVAL: "Invalid argument",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EXDEV: "Invalid cross-device link",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  EBUSY: "Device or resource busy",
  EMFILE: "Too many open files",
  ENOEXEC: "Exec format error",
  E2BIG: "Argument list too long",
  EAGAIN: "Resource temporarily unavailable",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  EFBIG: "File too large",
  ETXTBSY: "Text file busy",
  ENFILE: "Too many open files in system",
  ENOMEM: "Cannot allocate memory",
  EPIPE: "Broken pipe",
  ESPIPE: "Illegal seek",
};

/**
 * `<text> (os error <errno>)`, as the reference words an OS error: the C library's text for the
 * codes above, the runtime's (libuv's, capitalized) for any other the OS has; else the message.
 */
export function osErrorText(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const errno = typeof code === "string" ? (constants.errno as Record<string, number>)[code] : undefined;
  if (errno !== undefined) {
    const text = STRERROR[code as string] ?? capitalized(systemErrorText(errno));
    return `${text} (os error ${errno})`;
  }
  return error instanceof Error ? error.message : String(error);
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The runtime's text for an errno (libuv's; Node 20 has the map, not getSystemErrorMessage). */
let systemErrors: Map<number, [string, string]> | undefined;
function systemErrorText(errno: number): string {
  systemErrors ??= getSystemErrorMap();
  return systemErrors.get(-errno)?.[1] ?? `unknown error ${errno}`;
}

export function fsError(error: unknown): AppError {
  const code = (error as { code?: unknown })?.code;
  const message = osErrorText(error);
  if (code === "ENOENT") return new NotFound(message, { cause: error });
  if (code === "EACCES" || code === "EPERM" || code === "EINVAL")
    return new InvalidRequest(message, { cause: error });
  return new InternalError(message, { cause: error });
}
