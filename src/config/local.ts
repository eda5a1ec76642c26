// environmentConfig/read on this host: the user layer `$CODEX_HOME/config.toml` and, in a trusted
// project, its `.codex/config.toml` layers; parsed with Bun's TOML parser, reduced to the requested
// key paths and written back as TOML.
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir, hostname } from "node:os";
import { dirname, join } from "node:path";
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
  // The library also loads on Node, which has no TOML parser of its own: say so plainly.
  if (typeof Bun === "undefined")
    throw new InternalError("reading the Codex config needs Bun's TOML parser: run this on Bun");
  try {
    const parsed = Bun.TOML.parse(text);
    return isTable(parsed) ? parsed : {};
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InternalError(`failed to load executor-local config: ${path}: ${reason}`);
  }
}

/**
 * The project a working directory belongs to: the nearest directory at or above it holding a
 * `.git` file (a worktree) or a `.git` directory with a HEAD (an empty `.git` does not count, as on
 * the reference); the directory itself when there is none.
 */
function projectRoot(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const git = join(dir, ".git");
    try {
      const info = statSync(git);
      if (info.isFile() || (info.isDirectory() && statSync(join(git, "HEAD")).isFile())) return dir;
    } catch {
      // Not here: look further up.
    }
    if (dirname(dir) === dir) return cwd;
  }
}

/** Whether the user's config marks this project root `trust_level = "trusted"`. */
function isTrusted(userDocument: Table | null, root: string): boolean {
  const projects = userDocument?.projects;
  if (!isTable(projects)) return false;
  const entry = projects[root];
  return isTable(entry) && entry.trust_level === "trusted";
}

/** The directories from the project root down to the working directory, root first. */
function projectDirectories(root: string, cwd: string): string[] {
  const dirs: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    dirs.unshift(dir);
    if (dir === root || dirname(dir) === dir) return dirs;
  }
}

export class LocalEnvironmentConfig implements EnvironmentConfig {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /**
   * The user layer, then (in a trusted project only) each `.codex/config.toml` from the project
   * root down to `cwd`: the layers the reference answers with.
   */
  async read(request: ConfigReadRequest): Promise<ConfigReadResult> {
    checkPaths(request);
    const cwd = absolutePath(request.cwd, "cwd");
    const home = codexHome(this.env);
    const layers: ConfigLayer[] = [];
    const add = (source: string, baseDir: string, document: Table | null) => {
      const selected = document && project(document, maskOf(document, request.configPaths));
      if (selected) layers.push({ source, baseDir, toml: stringifyToml(selected) });
    };
    try {
      const userFile = join(home, "config.toml");
      const user = await readToml(userFile);
      add(`user (${userFile})`, home, user);
      const root = projectRoot(cwd);
      if (isTrusted(user, root)) {
        for (const dir of projectDirectories(root, cwd)) {
          const file = join(dir, ".codex", "config.toml");
          add(`project (${file})`, join(dir, ".codex"), await readToml(file));
        }
      }
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
