// The package's public surface: the client, the Environment and its parts, the errors, the schemas.
// First what Node lacks (see compat.ts): the rest relies on it at import.
import "./compat.ts";

export { LocalEnvironmentConfig } from "./config/local.ts";
export { RemoteEnvironmentConfig } from "./config/remote.ts";
export type { ConfigLayer, ConfigReadRequest, ConfigReadResult, EnvironmentConfig } from "./config/types.ts";
export { Environment } from "./environment.ts";
export * from "./errors.ts";
export { LocalFileSystem } from "./fs/local.ts";
export { RemoteFileSystem } from "./fs/remote.ts";
export type { FileMetadata, FileSystem, OpenFile, WalkOptions, WalkResult } from "./fs/types.ts";
export { LocalHttpClient } from "./http/local.ts";
export { RemoteHttpClient } from "./http/remote.ts";
export type { HttpClient, HttpRequest, HttpResponse, HttpStream } from "./http/types.ts";
export { ProcessHandle } from "./process/handle.ts";
export { LocalProcess } from "./process/local.ts";
export { OutputChunk } from "./process/output-buffer.ts";
export { RemoteProcess } from "./process/remote.ts";
export type {
  ExecProcess,
  ProcessEvent,
  ReadOptions,
  ReadResult,
  RunResult,
  StartOptions,
  StartParams,
} from "./process/types.ts";
export * as protocol from "./protocol/index.ts";
export { ExecServerClient, type ExecServerClientOptions } from "./rpc/client.ts";
export { type ExecServer, type ServerOptions, startServer } from "./server/server.ts";
