// The "JSON-RPC lite" envelope: no "jsonrpc" member is sent, one is accepted; unknown members ignored.
import { z } from "zod";
import { lazy } from "./lazy.ts";

export const RequestId = lazy(() => z.union([z.string(), z.int()]));
export type RequestId = z.infer<typeof RequestId>;

export const RpcRequest = lazy(() =>
  z.object({ id: RequestId, method: z.string(), params: z.unknown().optional() }),
);
export type RpcRequest = z.infer<typeof RpcRequest>;

export const RpcNotification = lazy(() => z.object({ method: z.string(), params: z.unknown().optional() }));
export type RpcNotification = z.infer<typeof RpcNotification>;

export const RpcErrorObject = lazy(() =>
  z.object({ code: z.int(), message: z.string(), data: z.unknown().optional() }),
);
export type RpcErrorObject = z.infer<typeof RpcErrorObject>;

export const RpcResponse = lazy(() =>
  z.union([
    z.object({ id: RequestId, result: z.unknown() }),
    z.object({ id: RequestId.or(z.null()), error: RpcErrorObject }),
  ]),
);
export type RpcResponse = z.infer<typeof RpcResponse>;

/** One decoded frame. `invalid` frames are answered with id -1 and the connection is kept. */
export type RpcMessage =
  | { type: "request"; message: RpcRequest }
  | { type: "notification"; message: RpcNotification }
  | { type: "response"; message: RpcResponse }
  | { type: "invalid"; reason: string };
