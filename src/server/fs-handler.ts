// fs/* on the wire → LocalFileSystem. Filesystem calls are stateless; each is a sandbox check and
// one delegating call, returning a domain value (file bytes travel as Base64Data).
import { InvalidRequest } from "../errors.ts";
import type { FileSystem } from "../fs/types.ts";
import { Base64Data } from "../protocol/codec.ts";
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
import { decodeStrictBase64 } from "../protocol/process.ts";
import { restrictsFileSystem } from "../sandbox/gate.ts";

/** A restricting profile is refused, never silently ignored (see src/sandbox/gate.ts). */
export function checkSandbox(sandbox: SandboxProfile | null | undefined): void {
  if (!restrictsFileSystem(sandbox)) return;
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
    return { dataBase64: new Base64Data(await this.fs.readFile(params.path)) };
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
