// Who may open a websocket: no browser pages unless their origin is allowed, and, with
// capability-token auth, only holders of the token. Checked before the upgrade, answered in HTTP.

export interface AdmissionOptions {
  /** Origins a browser page may connect from (exact match, e.g. `https://app.example`). */
  allowedOrigins: readonly string[];
  /** SHA-256 of the capability token; null when auth is off. */
  tokenSha256: Buffer | null;
}

export class AdmissionError extends Error {}

/** The token's digest from `--ws-token-file` (the file holds the token) or `--ws-token-sha256`. */
export function tokenDigest(source: { tokenFile?: string; tokenSha256?: string }): Buffer {
  if (source.tokenFile !== undefined && source.tokenSha256 !== undefined) {
    throw new AdmissionError("give either --ws-token-file or --ws-token-sha256, not both");
  }
  if (source.tokenSha256 !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(source.tokenSha256)) {
      throw new AdmissionError("--ws-token-sha256 must be 64 hex digits (the SHA-256 of the token)");
    }
    return Buffer.from(source.tokenSha256, "hex");
  }
  if (source.tokenFile === undefined) {
    throw new AdmissionError("--ws-auth capability-token needs --ws-token-file or --ws-token-sha256");
  }
  if (!source.tokenFile.startsWith("/")) throw new AdmissionError("--ws-token-file must be an absolute path");
  let token: string;
  try {
    // node:fs is loaded only here: it costs startup time, and most servers have no token file.
    const { readFileSync } = require("node:fs") as typeof import("node:fs");
    token = readFileSync(source.tokenFile, "utf8").trim();
  } catch (error) {
    throw new AdmissionError(`cannot read --ws-token-file: ${(error as Error).message}`);
  }
  if (token.length === 0) throw new AdmissionError("--ws-token-file is empty");
  return sha256(token);
}

// Bun's hasher rather than node:crypto, which costs milliseconds of startup to load.
function sha256(text: string): Buffer {
  return new Bun.CryptoHasher("sha256").update(text).digest();
}

/** Constant-time equality of two digests of the same length. */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

function plain(status: number, text: string): Response {
  return new Response(`${text}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/** The refusal for a websocket request, or null to let it upgrade. */
export function refusal(request: Request, options: AdmissionOptions): Response | null {
  const origin = request.headers.get("origin");
  if (origin !== null && !options.allowedOrigins.includes(origin)) {
    return plain(403, "browser origins are not allowed (see --allow-origin)");
  }
  if (options.tokenSha256) {
    const header = request.headers.get("authorization");
    const match = header && /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match) return plain(401, "missing websocket bearer token");
    // Comparing digests keeps the comparison constant-time whatever the token's length.
    if (!sameDigest(sha256(match[1] as string), options.tokenSha256)) {
      return plain(401, "invalid websocket bearer token");
    }
  }
  return null;
}

/** Loopback addresses are the only ones served without auth unless the operator insists. */
export function isLoopback(host: string): boolean {
  return host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::ffff:127.0.0.1";
}
