// Every bound on what one client can make the server hold. Each has a flag and an environment
// variable (see src/cli/main.ts); tests pass small values directly.
export interface Limits {
  /** Largest incoming websocket frame (the reference's limit). */
  maxFrameBytes: number;
  /** Sessions alive at once, attached or detached. */
  maxSessions: number;
  /** Live processes one session may hold (closed ones are kept within a budget of their own). */
  maxProcessesPerSession: number;
  /** Requests one connection may have in flight: process/read long polls, and as many other calls. */
  maxPendingRequests: number;
  /**
   * Past this many bytes waiting in a connection's send buffer, the server stops reading its
   * programs' pipes until the reader catches up (the programs block on write, nothing is lost).
   */
  sendBufferBytes: number;
  /** A reader that does not catch up within this long is stalled: output notifications are then
   * dropped (process/read still has the data) and the pipes are read again. */
  slowReaderMs: number;
  /** Past this many, the connection is closed rather than silently losing a response. */
  maxBufferedBytes: number;
  /** A connection that has not sent initialize within this long is closed. */
  handshakeTimeoutMs: number;
  /** Largest file fs/readFile answers with (its base64 answer must fit the send buffer's limit). */
  maxReadFileBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxSessions: 1024,
  maxProcessesPerSession: 1024,
  maxPendingRequests: 256,
  sendBufferBytes: 4 * 1024 * 1024,
  slowReaderMs: 5000,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxReadFileBytes: 32 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
};
