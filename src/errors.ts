// One error hierarchy. Every error that crosses the wire carries its JSON-RPC code and a `kind`
// (sent as `data.kind`), so the remote side can rebuild the same class the local side throws.

export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  NotFound: -32004,
  SessionAttached: -32010,
} as const;

export type ErrorKind =
  | "invalidRequest"
  | "methodNotFound"
  | "invalidParams"
  | "internal"
  | "notFound"
  | "sessionAttached"
  | "transportClosed"
  | "requestTimeout"
  | "cloud";

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: number;

  constructor(kind: ErrorKind, code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
    this.code = code;
    this.name = new.target.name;
  }
}

/** -32600: the request is not acceptable in this state (handshake, unknown id, duplicate id, ...). */
export class InvalidRequest extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super("invalidRequest", ErrorCode.InvalidRequest, message, options);
  }
}

export class MethodNotFound extends AppError {
  constructor(method: string) {
    super("methodNotFound", ErrorCode.MethodNotFound, `unknown method: ${method}`);
  }
}

export class InvalidParams extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super("invalidParams", ErrorCode.InvalidParams, message, options);
  }
}

export class InternalError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super("internal", ErrorCode.Internal, message, options);
  }
}

/** -32004: a filesystem path that does not exist. */
export class NotFound extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super("notFound", ErrorCode.NotFound, message, options);
  }
}

/**
 * A resume of a session that another live connection holds: -32010, as Codex 0.169+ answers it
 * (Codex 0.125 answered -32600 with the same message).
 */
export class SessionAttached extends AppError {
  constructor(message: string) {
    super("sessionAttached", ErrorCode.SessionAttached, message);
  }

  static forSession(sessionId: string): SessionAttached {
    return new SessionAttached(`session ${sessionId} is already attached to another connection`);
  }
}

/** Local only: the connection closed before an answer arrived. Never sent over the wire. */
export class TransportClosed extends AppError {
  constructor(message = "exec-server connection closed", options?: ErrorOptions) {
    super("transportClosed", ErrorCode.Internal, message, options);
  }
}

/** Local only: no answer within the caller's deadline. */
export class RequestTimeout extends AppError {
  constructor(message: string) {
    super("requestTimeout", ErrorCode.Internal, message);
  }
}

/**
 * Local only: cloud mode cannot authenticate, register or refresh. The message is one line fit for
 * the user; `isTransient` says whether a later attempt may succeed (network, timeout, 408/429/5xx).
 */
export class CloudError extends AppError {
  readonly isTransient: boolean;
  readonly status: number | undefined;

  constructor(message: string, options: ErrorOptions & { isTransient?: boolean; status?: number } = {}) {
    super("cloud", ErrorCode.Internal, message, options);
    this.isTransient = options.isTransient ?? false;
    this.status = options.status;
  }
}

const byKind: Record<string, new (message: string) => AppError> = {
  invalidRequest: InvalidRequest,
  invalidParams: InvalidParams,
  internal: InternalError,
  notFound: NotFound,
  sessionAttached: SessionAttached,
};

const byCode: Record<number, new (message: string) => AppError> = {
  [ErrorCode.InvalidRequest]: InvalidRequest,
  [ErrorCode.InvalidParams]: InvalidParams,
  [ErrorCode.Internal]: InternalError,
  [ErrorCode.NotFound]: NotFound,
  [ErrorCode.SessionAttached]: SessionAttached,
};

/** Rebuild the local error class from a wire error (the remote implementations throw these). */
export function errorFromWire(code: number, message: string, data?: unknown): AppError {
  const kind = data && typeof data === "object" ? (data as { kind?: unknown }).kind : undefined;
  const Known = (typeof kind === "string" ? byKind[kind] : undefined) ?? byCode[code];
  if (Known) return new Known(message);
  if (code === ErrorCode.MethodNotFound) return new AppError("methodNotFound", code, message);
  return new AppError("internal", code, message);
}
