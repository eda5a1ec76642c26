// `codex-exec-server cp [--url U] SRC DST`: copy a file or a directory tree to, from or within a
// server, like `docker cp` and `scp -r`. A remote path is written `:/path`. Both sides are a
// FileSystem (LocalFileSystem here, RemoteFileSystem there), so a copy is the same walk either
// way: the server's fs methods only, except that an upload too large for one websocket frame is
// streamed through a remote `cat`. The first failure stops the copy, naming its path (exit 1).
import { basename, posix, resolve } from "node:path";
import { LocalFileSystem } from "../fs/local.ts";
import { RemoteFileSystem } from "../fs/remote.ts";
import type { FileSystem } from "../fs/types.ts";
import type { ExecServerClient } from "../rpc/client.ts";
import type { Flags } from "./args.ts";
import { CLIENT_FLAGS, ConnectError, clientOptions, connect } from "./client-flags.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./options.ts";
import { Progress } from "./progress.ts";

const NAME = "codex-exec-server cp";

/** Uploads above this go through a remote `cat` in chunks: one fs/writeFile frame must fit the
 * server's --max-frame-bytes (16 MiB by default, base64 makes 4/3 of the bytes). */
export const WHOLE_UPLOAD_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;

interface Place {
  fs: FileSystem;
  path: string;
  isRemote: boolean;
}

/** A path as the user wrote it: `:/etc/hosts` for a remote one. */
const shown = (place: Place, path = place.path) => (place.isRemote ? `:${path}` : path);

function parsePath(text: string): { path: string; isRemote: boolean } {
  if (!text.startsWith(":")) return { path: resolve(text), isRemote: false };
  const path = text.slice(1);
  if (!path.startsWith("/")) throw new UsageError(`invalid remote path '${text}': expected :/absolute/path`);
  const normalized = posix.normalize(path);
  return { path: normalized.length > 1 ? normalized.replace(/\/$/, "") : normalized, isRemote: true };
}

const join = (dir: string, name: string) => (dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`);

/** What a path is, following links; null when it does not exist. */
async function kindOf(place: Place, path: string): Promise<"file" | "directory" | "other" | null> {
  try {
    const meta = await place.fs.getMetadata(path);
    return meta.isDirectory ? "directory" : meta.isFile ? "file" : "other";
  } catch (error) {
    if ((error as { kind?: string }).kind === "notFound") return null;
    throw error;
  }
}

class CopyError extends Error {}

/** Run one step; a failure becomes a CopyError naming `path`. */
async function step<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CopyError) throw error;
    throw new CopyError(`${path}: ${(error as Error).message}`);
  }
}

class Copier {
  readonly #progress: Progress;

  constructor(progress: Progress) {
    this.#progress = progress;
  }

  async copy(from: Place, to: Place): Promise<void> {
    const source = await step(shown(from), () => kindOf(from, from.path));
    if (source === null) throw new CopyError(`${shown(from)}: no such file or directory`);
    if (source === "other") throw new CopyError(`${shown(from)}: not a file or directory`);
    const target = await step(shown(to), () => kindOf(to, to.path));
    // Into an existing directory, as cp and docker cp do; otherwise DST is the new name.
    const destination = target === "directory" ? join(to.path, basename(from.path)) : to.path;
    if (source === "directory") await this.#tree(from, from.path, to, destination);
    else await this.#file(from, from.path, to, destination);
  }

  async #tree(from: Place, dir: string, to: Place, destination: string): Promise<void> {
    await step(shown(to, destination), () => to.fs.createDirectory(destination, { recursive: true }));
    const entries = await step(shown(from, dir), () => from.fs.readDirectory(dir));
    for (const entry of entries) {
      const source = join(dir, entry.fileName);
      const target = join(destination, entry.fileName);
      if (entry.isDirectory) await this.#tree(from, source, to, target);
      else if (entry.isFile) await this.#file(from, source, to, target);
      else this.#progress.note(`skipped ${shown(from, source)}: not a file or directory`);
    }
  }

  async #file(from: Place, source: string, to: Place, target: string): Promise<void> {
    const data = await step(shown(from, source), () => from.fs.readFile(source));
    this.#progress.read(data.byteLength);
    if (to.isRemote && data.byteLength > WHOLE_UPLOAD_BYTES) {
      await step(shown(to, target), () => this.#stream(to, data, target));
    } else {
      await step(shown(to, target), () => to.fs.writeFile(target, data));
      this.#progress.wrote(data.byteLength);
    }
  }

  /** An upload larger than a frame: fs/open in replace mode, written in blocks. */
  async #stream(to: Place, data: Uint8Array, target: string): Promise<void> {
    const file = await to.fs.open(target, { mode: "replace" });
    try {
      for (let at = 0; at < data.byteLength; at += CHUNK_BYTES) {
        const chunk = data.subarray(at, at + CHUNK_BYTES);
        await file.writeBlock(at, chunk);
        this.#progress.wrote(chunk.byteLength);
      }
    } finally {
      await file.close();
    }
  }
}

const FLAGS = { ...CLIENT_FLAGS } as const satisfies Flags;

export const cpCommand: Command = {
  name: NAME,
  maxPositionals: 2,
  help: {
    usage: ["codex-exec-server cp [--url ws://HOST:PORT] SRC DST"],
    summary:
      "Copy a file or a directory (always recursively) to, from or within a server. A remote path is written :/path, e.g. cp ./src :/work/src or cp :/var/log/app.log . Into an existing directory the source keeps its name. A progress bar is shown on stderr for large transfers when stderr is a terminal. Exit 1 on the first failure, naming its path.",
    flags: FLAGS,
  },
  async run({ values, positionals }) {
    if (positionals.length !== 2) throw new UsageError("expected SRC and DST (a remote path is :/path)");
    const [src, dst] = positionals.map(parsePath) as [
      ReturnType<typeof parsePath>,
      ReturnType<typeof parsePath>,
    ];
    if (!src.isRemote && !dst.isRemote) throw new UsageError("one of SRC and DST must be remote (:/path)");
    const options = clientOptions(values);
    let client: ExecServerClient;
    try {
      client = await connect(options, NAME);
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      process.stderr.write(`${NAME}: ${error.message}\n`);
      return 255;
    }
    const remote = new RemoteFileSystem(client);
    const local = new LocalFileSystem();
    const place = (side: ReturnType<typeof parsePath>): Place => ({
      ...side,
      fs: side.isRemote ? remote : local,
    });
    const progress = new Progress(process.stderr);
    try {
      await new Copier(progress).copy(place(src), place(dst));
      progress.done();
      return 0;
    } catch (error) {
      progress.done();
      process.stderr.write(`${NAME}: ${(error as Error).message}\n`);
      return 1;
    } finally {
      await client.close();
    }
  },
};
