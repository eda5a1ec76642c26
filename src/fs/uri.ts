// Result paths of the 0.169+ methods are file:// URIs, percent-encoded as the Codex client
// encodes them (UTF-8, space %20, % %25, # %23).
import { fileURLToPath, pathToFileURL } from "node:url";

export const toFileUri = (absolutePath: string): string => pathToFileURL(absolutePath).href;

/** A URI from a result back to a path; a plain absolute path passes through. */
export const fromFileUri = (uri: string): string => (uri.startsWith("file:") ? fileURLToPath(uri) : uri);
