// What an Environment offers about its host's Codex configuration (environmentConfig/read).

export interface ConfigLayer {
  /** Where it came from, e.g. `user (/home/u/.codex/config.toml)`. */
  source: string;
  /** The directory relative paths in this layer are resolved against. */
  baseDir: string;
  /** Only the requested keys, as TOML. */
  toml: string;
}

export interface ConfigLayers {
  layers: ConfigLayer[];
  cloudInsertionIndex: number;
}

export interface ConfigReadRequest {
  /** The working directory the config is for (absolute). */
  cwd: string;
  /** Key paths such as ["mcp_servers"]; each needs at least one segment. */
  configPaths: string[][];
  requirementsPaths: string[][];
}

export interface ConfigReadResult {
  userHomeDir: string;
  codexHomeDir: string;
  hostname: string;
  config: ConfigLayers;
  requirements: ConfigLayers;
}

export interface EnvironmentConfig {
  read(request: ConfigReadRequest): Promise<ConfigReadResult>;
}
