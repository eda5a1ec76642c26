// Reconnect delays: the base after a served connection; base, 2×, 4×, ... up to the cap after
// consecutive failures. Each delay is spread by ±20 % (never above the cap) so executors that lost
// the service together do not all come back in the same instant.
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** A number in [0, 1); Math.random unless a test pins it. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 30_000 };

const JITTER = 0.2;

/** The nominal delay before the next attempt after `failures` consecutive failures (0: after a served connection). */
export function nominalDelayMs(failures: number, { baseMs, maxMs }: BackoffOptions): number {
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  return Math.min(maxMs, baseMs * 2 ** exponent);
}

export function backoffDelayMs(failures: number, options: BackoffOptions): number {
  const nominal = nominalDelayMs(failures, options);
  const factor = 1 - JITTER + 2 * JITTER * (options.random ?? Math.random)();
  return Math.round(Math.min(options.maxMs, nominal * factor));
}

/** Resolve after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  const { promise, resolve } = Promise.withResolvers<void>();
  const onAbort = () => {
    clearTimeout(timer);
    resolve();
  };
  const timer = setTimeout(() => {
    signal?.removeEventListener("abort", onAbort);
    resolve();
  }, ms);
  signal?.addEventListener("abort", onAbort, { once: true });
  return promise;
}
