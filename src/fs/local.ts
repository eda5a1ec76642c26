// Filesystem calls on this host, with the reference's defaults and link rules.
import {
  closeSync,
  constants,
  createReadStream,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  type PathLike,
  readSync,
  type Stats,
  statSync,
  writeSync,
} from "node:fs";
import {
  copyFile,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  rmdir,
  symlink,
  unlink,
} from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { AppError, InvalidRequest } from "../errors.ts";
import { fsError } from "../os-error.ts";
import { decodeStrictBase64 } from "../protocol/codec.ts";
import { FileHandles } from "./handles.ts";
import { absolutePath } from "./path.ts";
import type {
  DirectoryEntry,
  FileHandleMode,
  FileMetadata,
  FileSystem,
  OpenFile,
  WalkOptions,
  WalkResult,
} from "./types.ts";
import { canonicalize, walk } from "./walk.ts";
import { MissingWatcher } from "./watch-missing.ts";

/** Run a filesystem operation, turning OS errors into ours. */
async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw error instanceof AppError ? error : fsError(error);
  }
}

// stat and lstat run synchronously: a stat takes about a microsecond, while the asynchronous form
// costs ~40 µs of thread-pool round trip, which made fs/getMetadata the slowest of our calls.
// Data (reads, writes, listings, copies) stays asynchronous, so a big file never stalls others.
const lstat = async (path: PathLike) => lstatSync(path);
const stat = async (path: string) => statSync(path);

function statOrNull(path: PathLike): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

const isSpecial = (info: Stats) => !info.isFile() && !info.isDirectory() && !info.isSymbolicLink();

/**
 * Files up to this size are read and written synchronously: for the small files an agent mostly
 * handles, the thread-pool round trip is most of the cost (a 4 KiB fs/readFile takes 25 µs of
 * server time instead of 60-70 µs, bench/request-path.ts), and a cached MiB takes ~0.2 ms, too
 * short for other connections to notice. Larger files go through the pool, so that a big (or
 * slow) file never holds the event loop for long.
 */
export const SYNC_IO_BYTES = 1024 * 1024;

export interface LocalFileSystemOptions {
  /** fs/readFile refuses larger files rather than building a huge answer. */
  maxReadFileBytes: number;
}

export class LocalFileSystem implements FileSystem {
  readonly #maxReadFileBytes: number;
  /** Handles and the missing-path watch of this Environment (a server keeps its own per connection). */
  #handles: FileHandles | null = null;
  #nextHandle = 0;
  #watcher: MissingWatcher | null = null;
  readonly #missingListeners = new Set<(watchId: number) => void>();

  constructor(options: Partial<LocalFileSystemOptions> = {}) {
    this.#maxReadFileBytes = options.maxReadFileBytes ?? Number.POSITIVE_INFINITY;
  }

  async readFile(path: string, { maxBytes }: { maxBytes?: number | null } = {}): Promise<Uint8Array> {
    const target = absolutePath(path);
    return guarded(async () => {
      const info = await stat(target);
      // A FIFO or a device could block forever or never end: only files are read.
      if (isSpecial(info)) throw new InvalidRequest(`${target} is not a regular file`);
      // A copy: the small read's bytes are the shared buffer's.
      const small = this.#readSmallWhole(target, info, maxBytes);
      if (small) return new Uint8Array(small);
      const isPrefix = maxBytes != null && maxBytes < info.size;
      this.#checkSize(target, isPrefix ? (maxBytes as number) : info.size);
      if (isPrefix) return readPrefix(target, maxBytes as number);
      const data = await readFile(target);
      // It may have grown since the stat.
      this.#checkSize(target, data.byteLength);
      return data;
    });
  }

  /**
   * What readFile gives, as standard base64 (fs/readFile's answer carries nothing else). A whole
   * file up to SYNC_IO_BYTES is read into one buffer that every call reuses and encoded before this
   * returns, a value then and not a promise, so the server answers in the same tick: a buffer of
   * the file's size made for every call was garbage for the collector and pages to fault in anew.
   * Anything else is readFile's bytes, encoded. test/unit/fs-local.test.ts holds the two together.
   */
  readFileBase64(path: string, options: { maxBytes?: number | null } = {}): string | Promise<string> {
    const target = absolutePath(path);
    let small: Buffer | null;
    try {
      small = this.#readSmallWhole(target, statSync(target), options.maxBytes);
    } catch (error) {
      throw error instanceof AppError ? error : fsError(error);
    }
    return small?.toBase64() ?? this.readFile(path, options).then((data) => data.toBase64());
  }

  /**
   * A whole regular file of at most SYNC_IO_BYTES (as `info` has it), read at once into the shared
   * buffer (see readSmall), its size checked against the limit before and after; null for anything
   * else (a special file, a prefix, a large file, or one that grew past SYNC_IO_BYTES since the
   * stat), which is read the other way.
   */
  #readSmallWhole(target: string, info: Stats, maxBytes: number | null | undefined): Buffer | null {
    const isWhole = maxBytes == null || maxBytes >= info.size;
    if (isSpecial(info) || !isWhole || info.size > SYNC_IO_BYTES) return null;
    this.#checkSize(target, info.size);
    const data = readSmall(target);
    // It may have grown since the stat.
    if (data) this.#checkSize(target, data.byteLength);
    return data;
  }

  #checkSize(target: string, size: number): void {
    const limit = this.#maxReadFileBytes;
    if (size > limit) {
      throw new InvalidRequest(`${target} is ${size} bytes, over the fs/readFile limit of ${limit} bytes`);
    }
  }

  async writeFile(path: string, data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    const target = absolutePath(path);
    return guarded(async () => {
      const found = data.byteLength <= SYNC_IO_BYTES ? writeNow(target, data) : null;
      if (found !== true) await writeRest(target, data, found, options.signal);
    });
  }

  /**
   * writeFile with the bytes of strict base64 (fs/writeFile's dataBase64); false, with nothing
   * written, when the text is not strict base64. Up to SYNC_IO_BYTES are decoded into the buffer
   * readFileBase64 uses and written before this returns (a value then, not a promise): no buffer
   * of their size is made per call. test/unit/fs-local.test.ts holds it to writeFile.
   */
  writeFileBase64(path: string, text: string, signal?: AbortSignal): boolean | Promise<boolean> {
    const buffer = smallFile().subarray(0, SYNC_IO_BYTES);
    // Small enough, the bytes are decoded into the buffer; else into one of their own.
    const data = decodeStrictBase64(text, buffer);
    if (!data) return false;
    if (data.buffer !== buffer.buffer) return this.writeFile(path, data, { signal }).then(() => true);
    const target = absolutePath(path);
    let found: ReturnType<typeof writeNow>;
    try {
      found = writeNow(target, data);
    } catch (error) {
      throw fsError(error);
    }
    if (found === true) return true;
    // Not a regular file (a FIFO, a device): written off this thread, from a copy, since the
    // shared buffer is the next call's.
    const copy = new Uint8Array(data);
    return guarded(() => writeRest(target, copy, found, signal)).then(() => true);
  }

  async createDirectory(path: string, { recursive }: { recursive?: boolean | null } = {}): Promise<void> {
    const target = absolutePath(path);
    return guarded(async () => {
      await mkdir(target, { recursive: recursive ?? true });
    });
  }

  async getMetadata(path: string): Promise<FileMetadata> {
    return this.getMetadataNow(path);
  }

  /** getMetadata's answer, before this returns (an lstat, and a stat for a link, take microseconds). */
  getMetadataNow(path: string): FileMetadata {
    const target = absolutePath(path);
    let link: Stats;
    let info: Stats;
    try {
      link = lstatSync(target);
      info = link.isSymbolicLink() ? statSync(target) : link;
    } catch (error) {
      throw fsError(error);
    }
    return {
      isDirectory: info.isDirectory(),
      isFile: info.isFile(),
      isSymlink: link.isSymbolicLink(),
      size: info.size,
      // Whole milliseconds, never negative (times before 1970 read as 0, as the reference does).
      createdAtMs: Math.max(0, Math.floor(info.birthtimeMs || 0)),
      modifiedAtMs: Math.max(0, Math.floor(info.mtimeMs)),
    };
  }

  async readDirectory(path: string): Promise<DirectoryEntry[]> {
    const target = absolutePath(path);
    return guarded(async () => {
      const entries: DirectoryEntry[] = [];
      for (const dirent of await readdir(target, { withFileTypes: true })) {
        // Links report what they point to (a stat, synchronous as above); a dangling link has no
        // type and is left out.
        const info = dirent.isSymbolicLink() ? statOrNull(join(target, dirent.name)) : dirent;
        if (info)
          entries.push({ fileName: dirent.name, isDirectory: info.isDirectory(), isFile: info.isFile() });
      }
      return entries;
    });
  }

  async remove(
    path: string,
    options: { recursive?: boolean | null; force?: boolean | null } = {},
  ): Promise<void> {
    const target = absolutePath(path);
    // The path is normalized lexically: `/x/../..` is the root too.
    if (target === "/") throw new InvalidRequest("refusing to remove /");
    const recursive = options.recursive ?? true;
    const force = options.force ?? true;
    return guarded(async () => {
      const info = await lstat(target).catch((error) => {
        if (force && error?.code === "ENOENT") return null;
        throw error;
      });
      if (!info) return;
      if (!info.isDirectory()) return unlink(target);
      // rm() never follows links inside the tree, so nothing outside it is touched.
      return recursive ? rm(target, { recursive: true, force }) : rmdir(target);
    });
  }

  async copy(
    sourcePath: string,
    destinationPath: string,
    { recursive, signal }: { recursive: boolean; signal?: AbortSignal },
  ): Promise<void> {
    const source = absolutePath(sourcePath, "sourcePath");
    const destination = absolutePath(destinationPath, "destinationPath");
    return guarded(async () => {
      const info = await lstat(source);
      if (info.isDirectory()) {
        if (!recursive)
          throw new InvalidRequest("fs/copy requires recursive: true when sourcePath is a directory");
        if (isWithin(await canonical(destination), await canonical(source))) {
          throw new InvalidRequest("fs/copy cannot copy a directory to itself or one of its descendants");
        }
        return copyTree(source, destination, signal);
      }
      if (isSpecial(info))
        throw new InvalidRequest("fs/copy only supports regular files, directories, and symlinks");
      // Copying a file onto itself (directly or through a link) would truncate it: refuse.
      const existing = await stat(destination).catch(() => null);
      if (info.isFile() && existing && existing.ino === info.ino && existing.dev === info.dev) {
        throw new InvalidRequest("fs/copy source and destination are the same file");
      }
      return copyEntry(source, destination, info, signal);
    });
  }

  walk(path: string, options: WalkOptions): Promise<WalkResult> {
    return walk(path, options);
  }

  canonicalize(path: string): Promise<string> {
    return canonicalize(path);
  }

  async open(path: string, { mode = "read" }: { mode?: FileHandleMode } = {}): Promise<OpenFile> {
    this.#handles ??= new FileHandles();
    const handles = this.#handles;
    const id = String(this.#nextHandle++);
    await handles.open(id, path, mode);
    return {
      readBlock: (offset, length) => handles.readBlock(id, offset, length),
      writeBlock: (offset, data) => handles.writeBlock(id, offset, data),
      close: () => handles.close(id),
    };
  }

  async watchMissing(watchId: number, missing: string[], present: string | null = null): Promise<boolean> {
    this.#watcher ??= new MissingWatcher((id) => {
      for (const listener of this.#missingListeners) listener(id);
    });
    return this.#watcher.watch(watchId, missing, present);
  }

  onMissingChanged(listener: (watchId: number) => void): () => void {
    this.#missingListeners.add(listener);
    return () => this.#missingListeners.delete(listener);
  }

  /** Close every open file and the watch (the Environment is closing). */
  async close(): Promise<void> {
    this.#watcher?.close();
    await this.#handles?.closeAll();
    this.#handles = null;
  }
}

/**
 * The buffer readFileBase64 and writeFileBase64 use for small files (one more byte than
 * SYNC_IO_BYTES, to see a file that grew past it). Each is done with it before it returns.
 */
let smallFileBuffer: Buffer | null = null;

function smallFile(): Buffer {
  smallFileBuffer ??= Buffer.allocUnsafe(SYNC_IO_BYTES + 1);
  return smallFileBuffer;
}

const { O_CREAT, O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

/**
 * A descriptor to read `path` when it is a regular file, else null (nothing left open). The open
 * does not wait: this runs on the server's one thread, and opening a FIFO (one put there since a
 * stat) waits for its other end, or for ever. O_NONBLOCK changes nothing for a regular file's
 * reads; a socket refuses the open (ENXIO). Writes open their own way (writeNow, writeLater).
 */
function openRegularFile(path: string): number | null {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENXIO") return null;
    throw error;
  }
  if (fstatSync(fd).isFile()) return fd;
  closeSync(fd);
  return null;
}

/** Whether an open's error is a FIFO's with no reader (ENXIO, which a socket or a terminal
 * without its device gives too). */
function isReaderless(error: unknown, path: PathLike): boolean {
  return (error as NodeJS.ErrnoException).code === "ENXIO" && statOrNull(path)?.isFIFO() === true;
}

/**
 * Make a regular file at `path` hold exactly `data` (created if missing) before returning: true.
 * Otherwise nothing is written and the caller writes the rest off this thread (writeRest): what
 * is there is a FIFO or a device, opened here without waiting (`{ fd }`: a FIFO's waiting reader
 * has it now, so it is not closed and opened again), or a FIFO with no reader yet (null). Written
 * over from the start and cut to its length after, as writeFileSync does: truncating first would
 * free the file's pages only for the write to allocate them again.
 */
function writeNow(path: string, data: Uint8Array): true | { readonly fd: number } | null {
  let fd: number;
  try {
    fd = openSync(path, O_WRONLY | O_CREAT | O_NONBLOCK, 0o666);
  } catch (error) {
    if (isReaderless(error, path)) return null;
    throw error;
  }
  try {
    if (!fstatSync(fd).isFile()) return { fd };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  try {
    let isSeekable = true;
    for (let written = 0; written < data.byteLength; ) {
      try {
        written += writeSync(fd, data, written, data.byteLength - written, isSeekable ? written : null);
      } catch (error) {
        if (!isSeekable || !isUnseekable(error)) throw error;
        isSeekable = false;
      }
    }
    if (isSeekable) ftruncateSync(fd, data.byteLength);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * A file that passes as regular but cannot seek (procfs, sysfs: /proc/PID/comm) refuses a write
 * at a position: it takes the bytes as a stream instead, from its start, and is not cut after.
 */
const isUnseekable = (error: unknown) => (error as { code?: unknown })?.code === "ESPIPE";

/** What writeNow left: a special file it opened (written, then closed), or the rest of the way. */
async function writeRest(
  path: string,
  data: Uint8Array,
  found: { readonly fd: number } | null,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!found) return writeLater(path, data, signal);
  try {
    await writeSpecial(found.fd, data);
  } finally {
    closeSync(found.fd);
  }
}

/** How often a write to a FIFO with no reader tries its open again. */
export const FIFO_READER_POLL_MS = 50;

/** What writeLater puts in a file: these bytes, or a copy of the regular file at `copyOf`. */
type Content = Uint8Array | { readonly copyOf: PathLike };

/**
 * Write `content` to `path` without holding this thread for long. A regular file (created if
 * missing) is written through the thread pool, from a descriptor opened without waiting. A FIFO or
 * a device is written through the event loop: a FIFO waits for a reader, as a blocking open would,
 * but its open is tried again every FIFO_READER_POLL_MS (until `signal`, the connection's end,
 * aborts) rather than left blocked in the pool, whose few threads every fs call of every client
 * shares (two writes to a FIFO nobody read held them all).
 */
async function writeLater(path: PathLike, content: Content, signal: AbortSignal | undefined): Promise<void> {
  for (;;) {
    const file = await open(path, O_WRONLY | O_CREAT | O_NONBLOCK, 0o666).catch((error) => {
      if (isReaderless(error, path)) return null;
      throw error;
    });
    if (file) {
      try {
        if (!(await file.stat()).isFile()) return await writeSpecial(file.fd, content);
        if (!(content instanceof Uint8Array)) return await copyFile(content.copyOf, path);
        let isSeekable = true;
        for (let written = 0; written < content.byteLength; ) {
          const position = isSeekable ? written : null;
          const wrote = await file
            .write(content, written, content.byteLength - written, position)
            .catch((error) => {
              if (!isSeekable || !isUnseekable(error)) throw error;
              isSeekable = false;
              return { bytesWritten: 0 };
            });
          written += wrote.bytesWritten;
        }
        if (isSeekable) await file.truncate(content.byteLength);
        return;
      } finally {
        await file.close();
      }
    }
    if (signal?.aborted) throw new InvalidRequest(`${String(path)} is a FIFO with no reader`);
    await Bun.sleep(FIFO_READER_POLL_MS);
  }
}

/**
 * A FIFO or a device, open and not blocking: its FileSink writes as it can take the bytes, and a
 * write it cannot make (EPIPE, ENOSPC) is the call's error. The descriptor stays the caller's.
 */
async function writeSpecial(fd: number, content: Content): Promise<void> {
  const sink = Bun.file(fd).writer();
  let isEnded = false;
  try {
    if (content instanceof Uint8Array) await sink.write(content);
    else {
      for await (const chunk of createReadStream(content.copyOf)) {
        await sink.write(chunk);
        await sink.flush();
      }
    }
    isEnded = true;
    await sink.end();
  } finally {
    // The sink has a descriptor of its own (a dup): a failed write must still end it.
    if (!isEnded) await Promise.resolve(sink.end()).catch(() => {});
  }
}

/**
 * The file when it is a regular file at most SYNC_IO_BYTES long (null when longer, or when it is
 * no longer a regular file), in smallFileBuffer: valid only until the next call, so the caller is
 * done with it before it returns.
 */
function readSmall(path: string): Buffer | null {
  const buffer = smallFile();
  const fd = openRegularFile(path);
  if (fd === null) return null;
  try {
    let filled = 0;
    while (filled < buffer.length) {
      const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled > SYNC_IO_BYTES ? null : buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** The first `length` bytes of a file (fewer if it shrank). */
async function readPrefix(path: string, length: number): Promise<Uint8Array> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await file.read(buffer, filled, length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await file.close();
  }
}

/**
 * Links are recreated with their target text verbatim; an existing destination is an error then.
 * A file is copied as writeFile writes: onto a FIFO or a device too, holding no thread.
 */
async function copyEntry(
  source: PathLike,
  destination: PathLike,
  info: Stats,
  signal?: AbortSignal,
): Promise<void> {
  if (info.isSymbolicLink()) return symlink(await readlink(source, { encoding: "buffer" }), destination);
  return writeLater(destination, { copyOf: source }, signal);
}

/** A path with its links resolved, through its deepest existing ancestor for paths not yet there. */
async function canonical(path: string): Promise<string> {
  const rest: string[] = [];
  for (let current = path; ; current = dirname(current)) {
    const resolved = await realpath(current).catch(() => null);
    if (resolved !== null) return rest.length ? join(resolved, ...rest.reverse()) : resolved;
    if (current === "/") return path;
    rest.push(basename(current));
  }
}

/** Whether `path` is `ancestor` or below it, component by component. */
function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(ancestor === "/" ? "/" : `${ancestor}/`);
}

/**
 * A tree's entries go by their names' bytes: a name need not be UTF-8, and as a string it would
 * come out altered (its copy named otherwise, or its source not found).
 */
async function copyTree(source: PathLike, destination: PathLike, signal?: AbortSignal): Promise<void> {
  await mkdir(destination, { recursive: true });
  for (const name of await readdir(source, { encoding: "buffer" })) {
    const from = childOf(source, name);
    const to = childOf(destination, name);
    const info = await lstat(from);
    if (info.isDirectory()) await copyTree(from, to, signal);
    else if (info.isFile() || info.isSymbolicLink()) await copyEntry(from, to, info, signal);
    // Sockets, FIFOs and devices inside a tree are skipped.
  }
}

const SLASH = Buffer.from("/");
const childOf = (dir: PathLike, name: Buffer) =>
  Buffer.concat([Buffer.isBuffer(dir) ? dir : Buffer.from(String(dir)), SLASH, name]);
