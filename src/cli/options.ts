// Flag and environment parsing for the server command. Every failure is a UsageError with a
// one-line message saying what was wrong and what is expected.
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../log.ts";

export class UsageError extends Error {}

export interface ListenAddress {
  host: string;
  port: number;
}

/** `--listen stdio` (or `stdio://`): one connection on stdin and stdout. */
export const STDIO = "stdio";

export function isStdio(value: string): boolean {
  const text = value.trim();
  return text === "stdio" || text === "stdio://";
}

/** An IPv4 dotted quad or an IPv6 address (node:net is not loaded for this: it costs startup time). */
export function isIpLiteral(host: string): boolean {
  const quad = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (quad) return quad.slice(1).every((part) => Number(part) <= 255 && String(Number(part)) === part);
  if (!host.includes(":") || !/^[0-9a-fA-F:.]+$/.test(host)) return false;
  try {
    return new URL(`ws://[${host}]`).hostname.length > 2;
  } catch {
    return false;
  }
}

export function parseListen(value: string): ListenAddress {
  const expected = "expected ws://IP:PORT (e.g. ws://127.0.0.1:0) or stdio";
  const match = /^ws:\/\/(\[[^\]]+\]|[^/:]+):(\d{1,5})\/?$/.exec(value.trim());
  if (!match) throw new UsageError(`invalid --listen value '${value}': ${expected}`);
  const host = (match[1] as string).replace(/^\[(.*)\]$/, "$1");
  const port = Number(match[2]);
  if (!isIpLiteral(host))
    throw new UsageError(`invalid --listen host '${host}': must be an IP literal; ${expected}`);
  if (port > 65535) throw new UsageError(`invalid --listen port ${port}: must be 0-65535`);
  return { host, port };
}

/** A flag value, else its CODEX_EXEC_SERVER_* variable, else the default. */
export function fromEnv(
  flag: string,
  value: string | undefined,
  fallback: string,
): { value: string; source: string } {
  if (value !== undefined) return { value, source: `--${flag}` };
  const name = `CODEX_EXEC_SERVER_${flag.toUpperCase().replaceAll("-", "_")}`;
  const fromEnvironment = process.env[name];
  if (fromEnvironment !== undefined && fromEnvironment !== "")
    return { value: fromEnvironment, source: name };
  return { value: fallback, source: `--${flag}` };
}

export function parseCount(flag: string, value: string | undefined, fallback: number, min = 0): number {
  const chosen = fromEnv(flag, value, String(fallback));
  const text = chosen.value.trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`invalid ${chosen.source} value '${chosen.value}': expected an integer >= ${min}`);
  }
  return n;
}

export function parseLogLevel(value: string | undefined): LogLevel {
  return parseChoice("log-level", value, LOG_LEVELS, "info");
}

/** One of a flag's fixed choices (from the flag or its environment variable). */
export function parseChoice<T extends string>(
  flag: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  const chosen = fromEnv(flag, value, fallback);
  if (!(choices as readonly string[]).includes(chosen.value)) {
    throw new UsageError(
      `invalid ${chosen.source} value '${chosen.value}': expected one of ${choices.join(", ")}`,
    );
  }
  return chosen.value as T;
}

export function parseLogFormat(value: string | undefined): LogFormat {
  return parseChoice("log-format", value, LOG_FORMATS, "text");
}
