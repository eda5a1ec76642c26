// environmentConfig/read on this host: the user layer `$CODEX_HOME/config.toml`, parsed with Bun's
// TOML parser, reduced to the requested key paths and written back as TOML.
import { readFile } from "node:fs/promises";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { AppError, InternalError, InvalidParams } from "../errors.ts";
import { absolutePath } from "../fs/path.ts";
import { fsError } from "../os-error.ts";
import { isTable, stringifyToml } from "./toml.ts";
import type { ConfigLayer, ConfigReadRequest, ConfigReadResult, EnvironmentConfig } from "./types.ts";

type Table = Record<string, unknown>;
/** The keys a set of paths selects: `true` takes the whole value, a map selects inside it. */
type Mask = Map<string, Mask | true>;

export function codexHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.CODEX_HOME ? absolutePath(env.CODEX_HOME, "CODEX_HOME") : join(homedir(), ".codex");
}

function checkPaths(request: ConfigReadRequest): void {
  if (request.configPaths.length === 0 && request.requirementsPaths.length === 0)
    throw new InvalidParams("at least one config or requirements path is required");
  for (const path of [...request.configPaths, ...request.requirementsPaths]) {
    if (path.length === 0) throw new InvalidParams("TOML paths must contain at least one key segment");
  }
}

/**
 * A path walks down through tables; where it meets a value that is not a table (a string, an
 * array) before its end, that whole value is selected, as the reference does.
 */
function maskOf(document: Table, paths: string[][]): Mask {
  const mask: Mask = new Map();
  for (const path of paths) {
    let table: Table = document;
    let level = mask;
    for (const [index, key] of path.entries()) {
      if (!Object.hasOwn(table, key)) break;
      const value = table[key];
      const existing = level.get(key);
      if (existing === true) break;
      if (index === path.length - 1 || !isTable(value)) {
        level.set(key, true);
        break;
      }
      const next: Mask = existing ?? new Map();
      level.set(key, next);
      level = next;
      table = value;
    }
  }
  return mask;
}

/** The selected part of a table, in the document's own key order; null when nothing is left. */
function project(table: Table, mask: Mask): Table | null {
  const out: Table = {};
  let isEmpty = true;
  for (const [key, value] of Object.entries(table)) {
    const selection = mask.get(key);
    if (selection === undefined) continue;
    const kept = selection === true ? value : isTable(value) ? project(value, selection) : null;
    if (kept === null) continue;
    out[key] = kept;
    isEmpty = false;
  }
  return isEmpty ? null : out;
}

async function readToml(path: string): Promise<Table | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown })?.code === "ENOENT") return null;
    throw fsError(error);
  }
  try {
    const parsed = Bun.TOML.parse(text);
    return isTable(parsed) ? parsed : {};
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InternalError(`failed to load executor-local config: ${path}: ${reason}`);
  }
}

export class LocalEnvironmentConfig implements EnvironmentConfig {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async read(request: ConfigReadRequest): Promise<ConfigReadResult> {
    checkPaths(request);
    absolutePath(request.cwd, "cwd");
    const home = codexHome(this.env);
    const file = join(home, "config.toml");
    const layers: ConfigLayer[] = [];
    try {
      const document = await readToml(file);
      const selected = document && project(document, maskOf(document, request.configPaths));
      if (selected) layers.push({ source: `user (${file})`, baseDir: home, toml: stringifyToml(selected) });
    } catch (error) {
      throw error instanceof AppError ? error : fsError(error);
    }
    return {
      userHomeDir: homedir(),
      codexHomeDir: home,
      hostname: hostname(),
      config: { layers, cloudInsertionIndex: 0 },
      // System and cloud requirements are not read by this server (docs/protocol.md).
      requirements: { layers: [], cloudInsertionIndex: 0 },
    };
  }
}
