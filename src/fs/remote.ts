// FileSystem over an ExecServerClient: the same calls, proxied to a server.
import type { ExecServerClient } from "../rpc/client.ts";
import type { FileMetadata, FileSystem } from "./types.ts";

export class RemoteFileSystem implements FileSystem {
  constructor(private readonly client: ExecServerClient) {}

  getMetadata(path: string): Promise<FileMetadata> {
    return this.client.call("fs/getMetadata", { path });
  }
}
