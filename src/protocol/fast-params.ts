// Hand-written checks for the params that come by the thousand: those of process/start,
// process/write, process/read and process/terminate (the envelope's are in codec.ts), those of
// fs/readFile, fs/writeFile, fs/getMetadata and fs/readDirectory (an agent's file calls); and those
// of initialize, which every connection sends first, so that a well-formed handshake is answered
// without building and compiling a schema (a start's first answer waits for it). Each
// answers, for a value JSON.parse made, what its zod schema would give, or `undefined` when the
// input is anything but plainly valid; the caller then parses with zod, which alone decides
// errors and their messages. A fresh server runs every schema in the interpreter first, and the
// zod parse of a process/start cost more instructions than the rest of the server's work for it
// (bench/spawn-path.ts). test/unit/fast-params.test.ts holds each of these to its schema on
// valid, invalid and odd inputs.
import { isBase64 } from "./codec.ts";
import type { FsGetMetadataParams, FsReadFileParams, FsWriteFileParams } from "./fs.ts";
import type { InitializeParams } from "./initialize.ts";
import { decodePath, PathError } from "./path.ts";
import type {
  EnvPolicy,
  ProcessReadParams,
  ProcessStartParams,
  ProcessTerminateParams,
  ProcessWriteParams,
  TerminalSize,
} from "./process.ts";
import { SandboxContext } from "./sandbox.ts";

type Plain = Record<string, unknown>;

const isPlain = (value: unknown): value is Plain =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What z.int() takes. */
const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

/** OsText: well-formed, no NUL. */
const isOsText = (value: unknown): value is string =>
  typeof value === "string" && value.isWellFormed() && !value.includes("\0");

type Check = (value: unknown) => unknown;

/**
 * The nullish members of a schema, as zod sets them: copied only when present, null as null,
 * anything else through its check. False when a check answers undefined (zod decides then).
 */
function optionals(params: Plain, out: Plain, members: readonly (readonly [string, Check])[]): boolean {
  for (const member of members) {
    // Indexed, not destructured: an array pattern walks the iterator protocol per member.
    const key = member[0];
    if (!(key in params)) continue;
    const check = member[1];
    const value = params[key];
    if (value === null || value === undefined) {
      out[key] = value;
      continue;
    }
    const checked = check(value);
    if (checked === undefined) return false;
    out[key] = checked;
  }
  return true;
}

/** EnvMap: a record of OsText whose names are non-empty, without `=`, not `__proto__`, OsText. */
function envMap(value: unknown): Record<string, string> | undefined {
  if (!isPlain(value)) return undefined;
  const out: Record<string, string> = {};
  for (const name of Object.keys(value)) {
    if (name === "" || name.includes("=") || name === "__proto__" || !isOsText(name)) return undefined;
    const text = value[name];
    if (!isOsText(text)) return undefined;
    out[name] = text;
  }
  return out;
}

function stringArray(value: unknown, isItem: (item: unknown) => boolean): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (const item of value) if (!isItem(item)) return undefined;
  return value.slice() as string[];
}

const isString = (value: unknown): value is string => typeof value === "string";

function envPolicy(value: unknown): EnvPolicy | undefined {
  if (!isPlain(value)) return undefined;
  const { inherit, ignoreDefaultExcludes } = value;
  if (inherit !== "all" && inherit !== "core" && inherit !== "none") return undefined;
  if (typeof ignoreDefaultExcludes !== "boolean") return undefined;
  const exclude = stringArray(value.exclude, isString);
  const set = envMap(value.set);
  const includeOnly = stringArray(value.includeOnly, isString);
  if (!exclude || !set || !includeOnly) return undefined;
  return { inherit, ignoreDefaultExcludes, exclude, set, includeOnly };
}

const isDimension = (value: unknown) => isInt(value) && value >= 1 && value <= 65535;

function terminalSize(value: unknown): TerminalSize | undefined {
  if (!isPlain(value) || !isDimension(value.rows) || !isDimension(value.cols)) return undefined;
  return { rows: value.rows as number, cols: value.cols as number };
}

/** z.looseObject({}): a copy with every member (a `__proto__` member is left to the schema). */
function looseObject(value: unknown): Plain | undefined {
  if (!isPlain(value) || Object.hasOwn(value, "__proto__")) return undefined;
  return { ...value };
}

const isBoolean = (value: unknown): value is boolean => typeof value === "boolean";
const asBoolean = (value: unknown) => (isBoolean(value) ? value : undefined);
const asOsText = (value: unknown) => (isOsText(value) ? value : undefined);

function absolutePath(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    return decodePath(value);
  } catch (error) {
    if (error instanceof PathError) return undefined;
    throw error;
  }
}

function sandboxContext(value: unknown): SandboxContext | undefined {
  const parsed = SandboxContext.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The optional members of ProcessStartParams in the schema's order, each with its check; a check
 * answering undefined fails the whole fast parse. (`networkProxy` is z.unknown(): taken as sent.)
 */
const START_OPTIONAL: [string, Check][] = [
  ["pipeStdin", asBoolean],
  ["arg0", asOsText],
  ["envPolicy", envPolicy],
  ["size", terminalSize],
  ["metadata", looseObject],
  ["sandbox", sandboxContext],
  ["enforceManagedNetwork", asBoolean],
  ["managedNetwork", looseObject],
];

export function fastStartParams(params: unknown): ProcessStartParams | undefined {
  if (!isPlain(params)) return undefined;
  const { processId, tty } = params;
  if (typeof processId !== "string" || typeof tty !== "boolean") return undefined;
  const argv = stringArray(params.argv, isOsText);
  const cwd = absolutePath(params.cwd);
  const env = envMap(params.env);
  if (!argv || cwd === undefined || !env) return undefined;
  const out: Plain = { processId, argv, cwd, env, tty };
  if (!optionals(params, out, START_OPTIONAL)) return undefined;
  if ("networkProxy" in params) out.networkProxy = params.networkProxy;
  return out as ProcessStartParams;
}

const WRITE_OPTIONAL: [string, Check][] = [
  ["writeId", (value) => (typeof value === "string" && value.length > 0 ? value : undefined)],
];

export function fastWriteParams(params: unknown): ProcessWriteParams | undefined {
  if (!isPlain(params)) return undefined;
  const { processId, chunk } = params;
  if (typeof processId !== "string" || typeof chunk !== "string" || !isBase64(chunk)) return undefined;
  const out: Plain = { processId, chunk };
  return optionals(params, out, WRITE_OPTIONAL) ? (out as ProcessWriteParams) : undefined;
}

const asCount = (value: unknown) => (isInt(value) && value >= 0 ? value : undefined);
const READ_OPTIONAL: [string, Check][] = [
  ["afterSeq", asCount],
  ["maxBytes", asCount],
  ["waitMs", asCount],
];

export function fastReadParams(params: unknown): ProcessReadParams | undefined {
  if (!isPlain(params) || typeof params.processId !== "string") return undefined;
  const out: Plain = { processId: params.processId };
  return optionals(params, out, READ_OPTIONAL) ? (out as ProcessReadParams) : undefined;
}

export function fastProcessIdParams(params: unknown): ProcessTerminateParams | undefined {
  if (!isPlain(params) || typeof params.processId !== "string") return undefined;
  return { processId: params.processId };
}

const INITIALIZE_OPTIONAL: [string, Check][] = [
  ["resumeSessionId", (value) => (typeof value === "string" ? value : undefined)],
  ["outputFromNotifications", asBoolean],
];

export function fastInitializeParams(params: unknown): InitializeParams | undefined {
  if (!isPlain(params) || typeof params.clientName !== "string") return undefined;
  const out: Plain = { clientName: params.clientName };
  return optionals(params, out, INITIALIZE_OPTIONAL) ? (out as InitializeParams) : undefined;
}

// The fs calls: a path, and the optional sandbox context (SandboxContext's zod schema checks a
// present one: the fast path saves only the rest).
const SANDBOXED: [string, Check][] = [["sandbox", sandboxContext]];
const READ_FILE_OPTIONAL: [string, Check][] = [["maxBytes", asCount], ...SANDBOXED];

/**
 * An fs call's params: its absolute path, what `required` adds (false: zod decides), then its
 * optional members.
 */
function fsParams(
  params: unknown,
  optional: readonly [string, Check][],
  required?: (params: Plain, out: Plain) => boolean,
): Plain | undefined {
  if (!isPlain(params)) return undefined;
  const path = absolutePath(params.path);
  if (path === undefined) return undefined;
  const out: Plain = { path };
  if (required && !required(params, out)) return undefined;
  return optionals(params, out, optional) ? out : undefined;
}

/** fs/getMetadata's and fs/readDirectory's params (the same schema). */
export function fastPathParams(params: unknown): FsGetMetadataParams | undefined {
  return fsParams(params, SANDBOXED) as FsGetMetadataParams | undefined;
}

export function fastReadFileParams(params: unknown): FsReadFileParams | undefined {
  return fsParams(params, READ_FILE_OPTIONAL) as FsReadFileParams | undefined;
}

/** dataBase64 is only required to be a string here, as in the schema (the handler checks it). */
function withData(params: Plain, out: Plain): boolean {
  if (typeof params.dataBase64 !== "string") return false;
  out.dataBase64 = params.dataBase64;
  return true;
}

export function fastWriteFileParams(params: unknown): FsWriteFileParams | undefined {
  return fsParams(params, SANDBOXED, withData) as FsWriteFileParams | undefined;
}

/** The fast parse of a method's params, where there is one. */
export const FAST_PARAMS: Partial<Record<string, (params: unknown) => unknown>> = {
  initialize: fastInitializeParams,
  "process/start": fastStartParams,
  "process/write": fastWriteParams,
  "process/read": fastReadParams,
  "process/terminate": fastProcessIdParams,
  "fs/readFile": fastReadFileParams,
  "fs/writeFile": fastWriteFileParams,
  "fs/getMetadata": fastPathParams,
  "fs/readDirectory": fastPathParams,
};
