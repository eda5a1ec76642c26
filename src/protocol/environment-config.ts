// environmentConfig/read: the executor host's Codex configuration, limited to requested key paths.
import { z } from "zod";
import { lazy } from "./lazy.ts";
import { AbsolutePath, PathUri } from "./path.ts";

/** A key path such as ["mcp_servers", "foo"]; emptiness is checked with the reference's message. */
export const TomlPath = lazy(() => z.array(z.string()));
export type TomlPath = z.infer<typeof TomlPath>;

export const EnvironmentConfigReadParams = lazy(() =>
  z.object({
    cwd: AbsolutePath,
    configPaths: z.array(TomlPath),
    requirementsPaths: z.array(TomlPath),
  }),
);
export type EnvironmentConfigReadParams = z.infer<typeof EnvironmentConfigReadParams>;

/** One configuration source; `toml` holds only the requested keys, re-serialized. */
export const ConfigLayer = lazy(() => z.object({ source: z.string(), baseDir: PathUri, toml: z.string() }));
export type ConfigLayer = z.infer<typeof ConfigLayer>;

export const ConfigLayers = lazy(() =>
  z.object({ layers: z.array(ConfigLayer), cloudInsertionIndex: z.int() }),
);
export type ConfigLayers = z.infer<typeof ConfigLayers>;

export const EnvironmentConfigReadResult = lazy(() =>
  z.object({
    userHomeDir: PathUri,
    codexHomeDir: PathUri,
    hostname: z.string(),
    config: ConfigLayers,
    requirements: ConfigLayers,
  }),
);
export type EnvironmentConfigReadResult = z.infer<typeof EnvironmentConfigReadResult>;
