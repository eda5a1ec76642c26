// fs/* on the wire → LocalFileSystem. Filesystem calls are stateless; only the sandbox is checked here.
import { InvalidRequest } from "../errors.ts";
import type { FileSystem } from "../fs/types.ts";
import type { FsGetMetadataParams, SandboxProfile } from "../protocol/fs.ts";

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

export class FsHandler {
  constructor(private readonly fs: FileSystem) {}

  getMetadata(params: FsGetMetadataParams) {
    checkSandbox(params.sandbox);
    return this.fs.getMetadata(params.path);
  }
}
