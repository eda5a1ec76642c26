// environmentConfig/read on the wire → LocalEnvironmentConfig; result paths become URIs.
import type { EnvironmentConfig } from "../config/types.ts";
import type {
  EnvironmentConfigReadParams,
  EnvironmentConfigReadResult,
} from "../protocol/environment-config.ts";
import { toFileUri } from "../protocol/path.ts";

export class ConfigHandler {
  constructor(private readonly config: EnvironmentConfig) {}

  async read(params: EnvironmentConfigReadParams): Promise<EnvironmentConfigReadResult> {
    const result = await this.config.read(params);
    const layers = (group: typeof result.config) => ({
      ...group,
      layers: group.layers.map((layer) => ({ ...layer, baseDir: toFileUri(layer.baseDir) })),
    });
    return {
      userHomeDir: toFileUri(result.userHomeDir),
      codexHomeDir: toFileUri(result.codexHomeDir),
      hostname: result.hostname,
      config: layers(result.config),
      requirements: layers(result.requirements),
    };
  }
}
