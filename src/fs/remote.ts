// FileSystem over an ExecServerClient: the same calls, proxied to a server. Paths travel as
// file:// URIs, as Codex 0.169+ sends them (this server takes plain paths too).

import { nanoid } from "nanoid";
import { toBase64 } from "../protocol/codec.ts";
import { decodePath, wirePath } from "../protocol/path.ts";
import type { ExecServerClient } from "../rpc/client.ts";
import type {
  DirectoryEntry,
  FileHandleMode,
  FileMetadata,
  FileSystem,
  OpenFile,
  WalkOptions,
  WalkResult,
} from "./types.ts";

export class RemoteFileSystem implements FileSystem {
  constructor(private readonly client: ExecServerClient) {}

  async readFile(path: string, { maxBytes }: { maxBytes?: number | null } = {}): Promise<Uint8Array> {
    const { dataBase64 } = await this.client.call("fs/readFile", { path: wirePath(path), maxBytes });
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

  async walk(path: string, options: WalkOptions): Promise<WalkResult> {
    const result = await this.client.call("fs/walk", { path: wirePath(path), options });
    return {
      entries: result.entries.map((entry) => ({ path: decodePath(entry.path), kind: entry.kind })),
      errors: result.errors.map((error) => ({ path: decodePath(error.path), message: error.message })),
      isTruncated: result.truncated,
    };
  }

  async canonicalize(path: string): Promise<string> {
    return decodePath((await this.client.call("fs/canonicalize", { path: wirePath(path) })).path);
  }

  async open(path: string, { mode = "read" }: { mode?: FileHandleMode } = {}): Promise<OpenFile> {
    // 21 characters: within the server's 32-byte limit, and unique on the connection.
    const handleId = nanoid();
    await this.client.call("fs/open", { handleId, path: wirePath(path), mode });
    return {
      readBlock: async (offset, len) => {
        const { chunk, eof } = await this.client.call("fs/readBlock", { handleId, offset, len });
        return { data: Buffer.from(chunk, "base64"), isEof: eof };
      },
      writeBlock: async (offset, data) => {
        await this.client.call("fs/writeBlock", { handleId, offset, chunk: toBase64(data) });
      },
      close: async () => {
        await this.client.call("fs/close", { handleId });
      },
    };
  }

  async watchMissing(watchId: number, missing: string[], present: string | null = null): Promise<boolean> {
    return (
      await this.client.call("fs/watchMissing", {
        watchId,
        missing: missing.map(wirePath),
        present: present === null ? null : wirePath(present),
      })
    ).watching;
  }

  onMissingChanged(listener: (watchId: number) => void): () => void {
    return this.client.onNotification("fs/missingChanged", (params) => listener(params.watchId));
  }
}
