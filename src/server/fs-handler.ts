// fs/* on the wire → LocalFileSystem. Filesystem calls are stateless; each is a sandbox check and
// one delegating call.
import { InvalidRequest } from "../errors.ts";
import type { FileSystem } from "../fs/types.ts";
import { toFileUri } from "../fs/uri.ts";
import type {
  FsCopyParams,
  FsCreateDirectoryParams,
  FsGetMetadataParams,
  FsReadDirectoryParams,
  FsReadFileParams,
  FsRemoveParams,
  FsWriteFileParams,
  SandboxProfile,
} from "../protocol/fs.ts";
import type {
  FsCanonicalizeParams,
  FsCanonicalizeResult,
  FsWalkParams,
  FsWalkResult,
} from "../protocol/fs-extra.ts";
import { decodeStrictBase64 } from "../protocol/process.ts";
import { RawJson } from "../rpc/peer.ts";

/**
 * Profiles that leave the filesystem unrestricted run directly: `disabled`, `external` (sandboxed
 * by someone else) and `managed` with an unrestricted file system. Any other profile is refused,
 * never silently ignored: we do not enforce filesystem restrictions.
 */
export function checkSandbox(sandbox: SandboxProfile | null | undefined): void {
  const permissions = sandbox?.permissions;
  if (!sandbox || !permissions) return;
  const fileSystem = (permissions as { file_system?: { type?: unknown } }).file_system;
  const isUnrestricted =
    permissions.type === "disabled" ||
    permissions.type === "external" ||
    (permissions.type === "managed" && fileSystem?.type === "unrestricted");
  if (isUnrestricted) return;
  throw new InvalidRequest(
    "this exec-server does not enforce filesystem sandbox restrictions; send no sandbox or an unrestricted one",
  );
}

function decodeBase64(data: string): Uint8Array {
  const bytes = decodeStrictBase64(data);
  if (!bytes) throw new InvalidRequest("fs/writeFile requires valid base64 dataBase64");
  return bytes;
}

export class FsHandler {
  constructor(private readonly fs: FileSystem) {}

  async readFile(params: FsReadFileParams) {
    checkSandbox(params.sandbox);
    const data = await this.fs.readFile(params.path, { maxBytes: params.maxBytes });
    // Base64 needs no escaping: the result is built as JSON text directly.
    const base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
    return new RawJson(`{"dataBase64":"${base64}"}`);
  }

  async writeFile(params: FsWriteFileParams) {
    checkSandbox(params.sandbox);
    await this.fs.writeFile(params.path, decodeBase64(params.dataBase64));
    return {};
  }

  async createDirectory(params: FsCreateDirectoryParams) {
    checkSandbox(params.sandbox);
    await this.fs.createDirectory(params.path, params);
    return {};
  }

  getMetadata(params: FsGetMetadataParams) {
    checkSandbox(params.sandbox);
    return this.fs.getMetadata(params.path);
  }

  async readDirectory(params: FsReadDirectoryParams) {
    checkSandbox(params.sandbox);
    return { entries: await this.fs.readDirectory(params.path) };
  }

  async remove(params: FsRemoveParams) {
    checkSandbox(params.sandbox);
    await this.fs.remove(params.path, params);
    return {};
  }

  async copy(params: FsCopyParams) {
    checkSandbox(params.sandbox);
    await this.fs.copy(params.sourcePath, params.destinationPath, params);
    return {};
  }

  async walk(params: FsWalkParams): Promise<FsWalkResult> {
    checkSandbox(params.sandbox);
    const { entries, errors, isTruncated } = await this.fs.walk(params.path, params.options);
    return {
      entries: entries.map((entry) => ({ path: toFileUri(entry.path), kind: entry.kind })),
      errors: errors.map((error) => ({ path: toFileUri(error.path), message: error.message })),
      truncated: isTruncated,
    };
  }

  async canonicalize(params: FsCanonicalizeParams): Promise<FsCanonicalizeResult> {
    checkSandbox(params.sandbox);
    return { path: toFileUri(await this.fs.canonicalize(params.path)) };
  }
}
