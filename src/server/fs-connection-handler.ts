// The filesystem methods that hold state for one connection: file handles (fs/open … fs/close)
// and the missing-path watch (fs/watchMissing). Both end when the connection does.
import { InvalidParams } from "../errors.ts";
import type { FileHandles } from "../fs/handles.ts";
import type { MissingWatcher } from "../fs/watch-missing.ts";
import { Base64Data, decodeStrictBase64 } from "../protocol/codec.ts";
import type {
  FsCloseParams,
  FsOpenParams,
  FsOpenResult,
  FsReadBlockParams,
  FsWatchMissingParams,
  FsWatchMissingResult,
  FsWriteBlockParams,
} from "../protocol/fs-extra.ts";
import { checkFsAccess, readableUnder } from "../sandbox/fs-check.ts";

export class FsConnectionHandler {
  readonly #closed = new AbortController();

  constructor(
    private readonly handles: FileHandles,
    private readonly watcher: MissingWatcher,
  ) {}

  /** Aborted once the connection has closed: what waits on its behalf stops waiting. */
  get signal(): AbortSignal {
    return this.#closed.signal;
  }

  async open(params: FsOpenParams): Promise<FsOpenResult> {
    // Checked once, at open: the blocks then go through the descriptor.
    checkFsAccess(params.sandbox, params.path, params.mode === "replace" ? "write" : "read");
    await this.handles.open(params.handleId, params.path, params.mode);
    return { handleId: params.handleId };
  }

  async readBlock(params: FsReadBlockParams) {
    const { data, isEof } = await this.handles.readBlock(params.handleId, params.offset, params.len);
    return { chunk: new Base64Data(data), eof: isEof };
  }

  async writeBlock(params: FsWriteBlockParams): Promise<object> {
    const data = decodeStrictBase64(params.chunk);
    if (!data) throw new InvalidParams("fs/writeBlock requires valid base64 chunk");
    await this.handles.writeBlock(params.handleId, params.offset, data);
    return {};
  }

  async close(params: FsCloseParams): Promise<object> {
    await this.handles.close(params.handleId);
    return {};
  }

  /** A path the sandbox hides is not watched: the answer is false, as for a path that exists. */
  watchMissing(params: FsWatchMissingParams): FsWatchMissingResult {
    const isReadable = readableUnder(params.sandbox);
    const paths = [...params.missing, ...(params.present ? [params.present] : [])];
    if (!paths.every(isReadable)) return { watching: this.watcher.watch(params.watchId, [], null) };
    return { watching: this.watcher.watch(params.watchId, params.missing, params.present ?? null) };
  }

  /** The connection closed. */
  closeAll(): void {
    this.#closed.abort();
    this.watcher.close();
    void this.handles.closeAll();
  }
}
