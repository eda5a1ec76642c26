// The package's public surface: the client, the Environment and its parts, the errors, the schemas.
// First what Node lacks (see compat.ts): the rest relies on it at import.
import "./compat.ts";

export { Environment } from "./environment.ts";
export * from "./errors.ts";
export { LocalFileSystem } from "./fs/local.ts";
export { RemoteFileSystem } from "./fs/remote.ts";
export type { FileMetadata, FileSystem } from "./fs/types.ts";
export { LocalProcess } from "./process/local.ts";
export { OutputChunk } from "./process/output-buffer.ts";
export { RemoteProcess } from "./process/remote.ts";
export type { ExecProcess, ProcessEvent, ReadOptions, ReadResult, StartOptions } from "./process/types.ts";
export * as protocol from "./protocol/index.ts";
export { ExecServerClient, type ExecServerClientOptions } from "./rpc/client.ts";
export { type ExecServer, type ServerOptions, startServer } from "./server/server.ts";
