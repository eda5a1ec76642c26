// EnvironmentConfig over an ExecServerClient: the executor host's configuration.
import { decodePath, wirePath } from "../protocol/path.ts";
import type { ExecServerClient } from "../rpc/client.ts";
import type { ConfigLayers, ConfigReadRequest, ConfigReadResult, EnvironmentConfig } from "./types.ts";

const fromWire = (group: ConfigLayers): ConfigLayers => ({
  ...group,
  layers: group.layers.map((layer) => ({ ...layer, baseDir: decodePath(layer.baseDir) })),
});

export class RemoteEnvironmentConfig implements EnvironmentConfig {
  constructor(private readonly client: ExecServerClient) {}

  async read(request: ConfigReadRequest): Promise<ConfigReadResult> {
    const result = await this.client.call("environmentConfig/read", {
      ...request,
      cwd: wirePath(request.cwd),
    });
    return {
      userHomeDir: decodePath(result.userHomeDir),
      codexHomeDir: decodePath(result.codexHomeDir),
      hostname: result.hostname,
      config: fromWire(result.config),
      requirements: fromWire(result.requirements),
    };
  }
}
