// FileSystem over an ExecServerClient: the same calls, proxied to a server.
import type { ExecServerClient } from "../rpc/client.ts";
import type { DirectoryEntry, FileMetadata, FileSystem } from "./types.ts";

const toBase64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

export class RemoteFileSystem implements FileSystem {
  constructor(private readonly client: ExecServerClient) {}

  async readFile(path: string): Promise<Uint8Array> {
    const { dataBase64 } = await this.client.call("fs/readFile", { path });
    return Buffer.from(dataBase64, "base64");
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    await this.client.call("fs/writeFile", { path, dataBase64: toBase64(data) });
  }

  async createDirectory(path: string, options: { recursive?: boolean | null } = {}): Promise<void> {
    await this.client.call("fs/createDirectory", { path, recursive: options.recursive });
  }

  getMetadata(path: string): Promise<FileMetadata> {
    return this.client.call("fs/getMetadata", { path });
  }

  async readDirectory(path: string): Promise<DirectoryEntry[]> {
    return (await this.client.call("fs/readDirectory", { path })).entries;
  }

  async remove(
    path: string,
    options: { recursive?: boolean | null; force?: boolean | null } = {},
  ): Promise<void> {
    await this.client.call("fs/remove", { path, recursive: options.recursive, force: options.force });
  }

  async copy(sourcePath: string, destinationPath: string, options: { recursive: boolean }): Promise<void> {
    await this.client.call("fs/copy", { sourcePath, destinationPath, recursive: options.recursive });
  }
}
