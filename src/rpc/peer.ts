// One end of a JSON-RPC lite conversation over any message transport. The server and the client
// share it: it dispatches requests concurrently, matches responses to pending calls, and turns
// thrown errors into wire errors (the only place that does). Frames are made and read only by the
// protocol's codec.
import {
  AppError,
  ErrorCode,
  errorFromWire,
  InvalidRequest,
  RequestTimeout,
  TransportClosed,
} from "../errors.ts";
import { logger } from "../log.ts";
import {
  decodeFrame,
  encodeError,
  encodeNotification,
  encodeRequest,
  encodeResult,
} from "../protocol/codec.ts";
import type { RequestId, RpcErrorObject } from "../protocol/jsonrpc.ts";

const log = logger("rpc");

export interface Transport {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  /** Bytes sent but not yet taken by the peer, where the transport can tell (called without its object). */
  readonly bufferedAmount?: () => number;
  /**
   * A ping after everything sent so far, where the transport has them (a websocket's): its pong,
   * with the same payload, says the peer has read up to here (called without its object).
   */
  readonly ping?: (payload: string) => void;
}

export interface PeerHandlers {
  onRequest?(method: string, params: unknown, id: RequestId): Promise<unknown> | unknown;
  onNotification?(method: string, params: unknown): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer?: Timer;
}

export function toWireError(error: unknown): RpcErrorObject {
  if (error instanceof AppError)
    return { code: error.code, message: error.message, data: { kind: error.kind } };
  log.error("unexpected error", { error });
  return { code: ErrorCode.Internal, message: "internal error", data: { kind: "internal" } };
}

export class RpcPeer {
  readonly #transport: Transport;
  readonly #handlers: PeerHandlers;
  readonly #pending = new Map<RequestId, Pending>();
  #nextId = 1;
  #closedError: Error | null = null;
  #sentChars = 0;

  constructor(transport: Transport, handlers: PeerHandlers = {}) {
    this.#transport = transport;
    this.#handlers = handlers;
  }

  get isClosed(): boolean {
    return this.#closedError !== null;
  }

  /** Characters of every message handed to the transport so far. */
  get sentChars(): number {
    return this.#sentChars;
  }

  /** Feed one received frame (text, or binary holding UTF-8 JSON). */
  receive(data: string | ArrayBuffer | Uint8Array): void {
    const decoded = decodeFrame(data);
    switch (decoded.type) {
      case "request":
        this.#dispatch(decoded.message.id, decoded.message.method, decoded.message.params);
        return;
      case "notification":
        this.#handlers.onNotification?.(decoded.message.method, decoded.message.params);
        return;
      case "response": {
        const { id } = decoded.message;
        const pending = id === null ? undefined : this.#pending.get(id);
        if (!pending) return;
        this.#pending.delete(id as RequestId);
        clearTimeout(pending.timer);
        if ("error" in decoded.message) {
          const { code, message, data } = decoded.message.error;
          pending.reject(errorFromWire(code, message, data));
        } else pending.resolve(decoded.message.result);
        return;
      }
      case "invalid":
        this.#sendError(-1, new InvalidRequest(`invalid JSON-RPC message: ${decoded.reason}`));
    }
  }

  /** A frame the transport could not deliver whole (too large): answered like a malformed one. */
  refuseFrame(reason: string): void {
    this.#sendError(-1, new InvalidRequest(`invalid JSON-RPC message: ${reason}`));
  }

  request(method: string, params: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    if (this.#closedError) return Promise.reject(new TransportClosed(this.#closedError.message));
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const pending: Pending = { resolve, reject };
    if (options.timeoutMs !== undefined) {
      pending.timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RequestTimeout(`${method} timed out after ${options.timeoutMs} ms`));
      }, options.timeoutMs);
    }
    this.#pending.set(id, pending);
    this.#send(encodeRequest(id, method, params));
    return promise;
  }

  notify(method: string, params: unknown): void {
    if (!this.#closedError) this.#send(encodeNotification(method, params));
  }

  /** A notification the codec has already encoded (see encodeOutputNotification). */
  notifyFrame(frame: string): void {
    if (!this.#closedError) this.#send(frame);
  }

  /** The transport is gone: every pending call fails with a transport error. */
  closed(reason = "exec-server connection closed"): void {
    if (this.#closedError) return;
    this.#closedError = new TransportClosed(reason);
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new TransportClosed(reason));
    }
    this.#pending.clear();
  }

  close(code?: number, reason?: string): void {
    this.#transport.close(code, reason);
    this.closed(reason);
  }

  /** A handler that answers synchronously is answered in the same tick, with no promise made. */
  #dispatch(id: RequestId, method: string, params: unknown): void {
    const { onRequest } = this.#handlers;
    if (!onRequest) return;
    let result: unknown;
    try {
      result = onRequest(method, params, id);
    } catch (error) {
      this.#sendError(id, error);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value) => this.#respond(id, value),
        (error) => this.#sendError(id, error),
      );
    } else this.#respond(id, result);
  }

  #respond(id: RequestId, result: unknown): void {
    if (!this.#closedError) this.#send(encodeResult(id, result));
  }

  #sendError(id: RequestId, error: unknown): void {
    if (!this.#closedError) this.#send(encodeError(id, toWireError(error)));
  }

  #send(text: string): void {
    this.#sentChars += text.length;
    try {
      this.#transport.send(text);
    } catch (error) {
      log.debug("send failed", { error: String(error) });
    }
  }
}
