// fs/* on the wire → LocalFileSystem. Filesystem calls are stateless; each is a sandbox check and
// one delegating call.
import { InvalidRequest } from "../errors.ts";
import type { FileSystem } from "../fs/types.ts";
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
import { isBase64 } from "../protocol/process.ts";

/** Profiles that restrict nothing; any other profile is refused rather than silently ignored. */
const UNRESTRICTED = new Set([
  "disabled",
  "fullAccess",
  "full-access",
  "danger-full-access",
  "dangerFullAccess",
]);

export function checkSandbox(sandbox: SandboxProfile | null | undefined): void {
  if (!sandbox) return;
  const type = sandbox.permissions?.type;
  if (type === undefined || UNRESTRICTED.has(type)) return;
  throw new InvalidRequest(`sandbox permissions of type ${type} are not supported by this exec-server`);
}

function decodeBase64(data: string): Uint8Array {
  if (!isBase64(data)) throw new InvalidRequest("fs/writeFile requires valid base64 dataBase64");
  return Buffer.from(data, "base64");
}

export class FsHandler {
  constructor(private readonly fs: FileSystem) {}

  async readFile(params: FsReadFileParams) {
    checkSandbox(params.sandbox);
    const data = await this.fs.readFile(params.path);
    return { dataBase64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64") };
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
}
