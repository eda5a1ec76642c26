// Open files of one connection, for random-access reads (fs/readBlock) and positional writes
// (fs/writeBlock). The table belongs to the connection: its handles close when it does, and a
// resumed session starts with none (as the reference does).
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { AppError, InternalError, InvalidRequest, NotFound } from "../errors.ts";
import { fsError } from "../os-error.ts";
import type { FileHandleMode } from "../protocol/fs-extra.ts";
import { absolutePath } from "./path.ts";

export const MAX_OPEN_HANDLES = 128;
export const MAX_HANDLE_ID_BYTES = 32;
export const MAX_BLOCK_BYTES = 1024 * 1024;

const BAD_DESCRIPTOR = "Bad file descriptor (os error 9)";

interface OpenFile {
  file: FileHandle;
  mode: FileHandleMode;
}

export class FileHandles {
  readonly #open = new Map<string, OpenFile>();
  /** Ids being opened: a second open of the same id while the first is in flight is a duplicate. */
  readonly #opening = new Set<string>();
  #isClosed = false;

  constructor(private readonly maxOpen = MAX_OPEN_HANDLES) {}

  get size(): number {
    return this.#open.size;
  }

  /**
   * `read` opens an existing file; `replace` creates it or truncates it now (the reference
   * truncates at open, so readers of the old content see it shrink at once). Only regular files
   * are kept: a FIFO or a device is opened non-blocking, so it cannot hang the open, and refused.
   */
  async open(handleId: string, path: string, mode: FileHandleMode = "read"): Promise<void> {
    if (Buffer.byteLength(handleId) > MAX_HANDLE_ID_BYTES)
      throw new InvalidRequest(`file handle ID must not exceed ${MAX_HANDLE_ID_BYTES} bytes`);
    const target = absolutePath(path);
    if (this.#open.has(handleId) || this.#opening.has(handleId))
      throw new InvalidRequest(`file handle \`${handleId}\` already exists`);
    if (this.#open.size + this.#opening.size >= this.maxOpen)
      throw new InvalidRequest(`at most ${this.maxOpen} file handles may be open per connection`);
    this.#opening.add(handleId);
    try {
      const file = await openRegular(target, mode);
      if (this.#isClosed) {
        await file.close();
        throw new InvalidRequest("the connection closed while the file was being opened");
      }
      this.#open.set(handleId, { file, mode });
    } finally {
      this.#opening.delete(handleId);
    }
  }

  async readBlock(
    handleId: string,
    offset: number,
    length: number,
  ): Promise<{ data: Uint8Array; isEof: boolean }> {
    checkBlockLength(length, "read");
    const { file, mode } = this.#get(handleId);
    if (mode !== "read") throw new InternalError(BAD_DESCRIPTOR);
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    try {
      // pread may return less than asked before the end (a file growing, a network filesystem).
      while (filled < length) {
        const { bytesRead } = await file.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      throw fsError(error);
    }
    return { data: buffer.subarray(0, filled), isEof: filled < length };
  }

  async writeBlock(handleId: string, offset: number, data: Uint8Array): Promise<void> {
    checkBlockLength(data.byteLength, "write");
    const { file, mode } = this.#get(handleId);
    if (mode !== "replace") throw new InternalError(BAD_DESCRIPTOR);
    try {
      let written = 0;
      while (written < data.byteLength) {
        const { bytesWritten } = await file.write(data, written, data.byteLength - written, offset + written);
        written += bytesWritten;
      }
    } catch (error) {
      throw fsError(error);
    }
  }

  /** Unknown and already closed ids are fine, as on the reference. */
  async close(handleId: string): Promise<void> {
    const entry = this.#open.get(handleId);
    if (!entry) return;
    this.#open.delete(handleId);
    await entry.file.close().catch(() => {});
  }

  /** The connection ended: every handle closes, and opens still in flight close when they land. */
  async closeAll(): Promise<void> {
    this.#isClosed = true;
    const files = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(files.map(({ file }) => file.close().catch(() => {})));
  }

  #get(handleId: string): OpenFile {
    const entry = this.#open.get(handleId);
    if (!entry) throw new NotFound(`unknown file handle \`${handleId}\``);
    return entry;
  }
}

function checkBlockLength(length: number, what: "read" | "write"): void {
  if (length < 1 || length > MAX_BLOCK_BYTES)
    throw new InvalidRequest(`file ${what} block length must be between 1 and ${MAX_BLOCK_BYTES}`);
}

async function openRegular(path: string, mode: FileHandleMode): Promise<FileHandle> {
  const flags =
    (mode === "read" ? constants.O_RDONLY : constants.O_WRONLY | constants.O_CREAT) | constants.O_NONBLOCK;
  const notAFile = () => new InvalidRequest(`path \`${path}\` is not a file`);
  let file: FileHandle;
  try {
    file = await open(path, flags, 0o666);
  } catch (error) {
    // A directory opened for writing, or a FIFO with no reader opened for writing.
    const code = (error as { code?: unknown })?.code;
    if (code === "EISDIR" || code === "ENXIO") throw notAFile();
    throw error instanceof AppError ? error : fsError(error);
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) throw notAFile();
    // Truncated only once it is known to be a regular file.
    if (mode === "replace") await file.truncate(0);
    return file;
  } catch (error) {
    await file.close().catch(() => {});
    throw error instanceof AppError ? error : fsError(error);
  }
}
