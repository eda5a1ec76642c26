// FileSystem over an ExecServerClient: the same calls, proxied to a server. Paths travel as
// file:// URIs, as Codex 0.169+ sends them (this server takes plain paths too).
import { wirePath } from "../protocol/path.ts";
import type { ExecServerClient } from "../rpc/client.ts";
import type { DirectoryEntry, FileMetadata, FileSystem } from "./types.ts";

const toBase64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

export class RemoteFileSystem implements FileSystem {
  constructor(private readonly client: ExecServerClient) {}

  async readFile(path: string): Promise<Uint8Array> {
    const { dataBase64 } = await this.client.call("fs/readFile", { path: wirePath(path) });
    return Buffer.from(dataBase64, "base64");
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    await this.client.call("fs/writeFile", { path: wirePath(path), dataBase64: toBase64(data) });
  }

  async createDirectory(path: string, options: { recursive?: boolean | null } = {}): Promise<void> {
    await this.client.call("fs/createDirectory", { path: wirePath(path), recursive: options.recursive });
  }

  getMetadata(path: string): Promise<FileMetadata> {
    return this.client.call("fs/getMetadata", { path: wirePath(path) });
  }

  async readDirectory(path: string): Promise<DirectoryEntry[]> {
    return (await this.client.call("fs/readDirectory", { path: wirePath(path) })).entries;
  }

  async remove(
    path: string,
    options: { recursive?: boolean | null; force?: boolean | null } = {},
  ): Promise<void> {
    await this.client.call("fs/remove", {
      path: wirePath(path),
      recursive: options.recursive,
      force: options.force,
    });
  }

  async copy(sourcePath: string, destinationPath: string, options: { recursive: boolean }): Promise<void> {
    await this.client.call("fs/copy", {
      sourcePath: wirePath(sourcePath),
      destinationPath: wirePath(destinationPath),
      recursive: options.recursive,
    });
  }
}
