// fs/* on the wire → LocalFileSystem. Filesystem calls are stateless; each is a sandbox check and
// one delegating call, returning a domain value (file bytes travel as Base64Data; fs/readFile's
// come as base64 already).
import { InvalidRequest } from "../errors.ts";
import type { LocalFileSystem } from "../fs/local.ts";
import { Base64Data } from "../protocol/codec.ts";
import type {
  FsCopyParams,
  FsCreateDirectoryParams,
  FsGetMetadataParams,
  FsReadDirectoryParams,
  FsReadFileParams,
  FsRemoveParams,
  FsWriteFileParams,
} from "../protocol/fs.ts";
import type {
  FsCanonicalizeParams,
  FsCanonicalizeResult,
  FsWalkParams,
  FsWalkResult,
} from "../protocol/fs-extra.ts";
import { toFileUri } from "../protocol/path.ts";
import { checkFsAccess, readableUnder } from "../sandbox/fs-check.ts";

export class FsHandler {
  constructor(private readonly fs: LocalFileSystem) {}

  /** A small file is answered at once (a value, not a promise): see LocalFileSystem.readFileBase64. */
  readFile(params: FsReadFileParams): { dataBase64: Base64Data } | Promise<{ dataBase64: Base64Data }> {
    checkFsAccess(params.sandbox, params.path, "read");
    const text = this.fs.readFileBase64(params.path, { maxBytes: params.maxBytes });
    const result = (text: string) => ({ dataBase64: new Base64Data(text) });
    return typeof text === "string" ? result(text) : text.then(result);
  }

  /**
   * Small data is answered at once (a value, not a promise): see LocalFileSystem.writeFileBase64.
   * `signal` is the connection's end: a write waiting for a FIFO's reader stops waiting then.
   */
  writeFile(params: FsWriteFileParams, signal?: AbortSignal): object | Promise<object> {
    checkFsAccess(params.sandbox, params.path, "write");
    const written = this.fs.writeFileBase64(params.path, params.dataBase64, signal);
    const result = (isBase64: boolean) => {
      if (!isBase64) throw new InvalidRequest("fs/writeFile requires valid base64 dataBase64");
      return {};
    };
    return typeof written === "boolean" ? result(written) : written.then(result);
  }

  async createDirectory(params: FsCreateDirectoryParams) {
    checkFsAccess(params.sandbox, params.path, "write");
    await this.fs.createDirectory(params.path, params);
    return {};
  }

  /** Answered at once (a value, not a promise). */
  getMetadata(params: FsGetMetadataParams) {
    checkFsAccess(params.sandbox, params.path, "read");
    return this.fs.getMetadataNow(params.path);
  }

  async readDirectory(params: FsReadDirectoryParams) {
    checkFsAccess(params.sandbox, params.path, "read");
    return { entries: await this.fs.readDirectory(params.path) };
  }

  async remove(params: FsRemoveParams) {
    checkFsAccess(params.sandbox, params.path, "write", { isFinalLinkKept: true, isAbsentAllowed: true });
    await this.fs.remove(params.path, params);
    return {};
  }

  /** `signal`: as writeFile's (a copy onto a FIFO waits for its reader). */
  async copy(params: FsCopyParams, signal?: AbortSignal) {
    checkFsAccess(params.sandbox, params.sourcePath, "read");
    checkFsAccess(params.sandbox, params.destinationPath, "write");
    await this.fs.copy(params.sourcePath, params.destinationPath, { recursive: params.recursive, signal });
    return {};
  }

  /**
   * Under a sandbox the root is checked, and entries whose resolved path the plan hides (reached
   * through a followed link) are left out.
   */
  async walk(params: FsWalkParams): Promise<FsWalkResult> {
    checkFsAccess(params.sandbox, params.path, "read");
    const { entries, errors, isTruncated } = await this.fs.walk(params.path, params.options);
    const isVisible = readableUnder(params.sandbox);
    return {
      entries: entries
        .filter((entry) => isVisible(entry.path))
        .map((entry) => ({ path: toFileUri(entry.path), kind: entry.kind })),
      errors: errors
        .filter((error) => isVisible(error.path))
        .map((error) => ({ path: toFileUri(error.path), message: error.message })),
      truncated: isTruncated,
    };
  }

  async canonicalize(params: FsCanonicalizeParams): Promise<FsCanonicalizeResult> {
    checkFsAccess(params.sandbox, params.path, "read");
    return { path: toFileUri(await this.fs.canonicalize(params.path)) };
  }
}
