// HostInfo over an ExecServerClient: what the server sent at initialize, else environment/info.
import type { ExecServerClient } from "../rpc/client.ts";
import type { EnvironmentInfo, HostInfo } from "./types.ts";

export class RemoteHostInfo implements HostInfo {
  constructor(private readonly client: ExecServerClient) {}

  async info(): Promise<EnvironmentInfo> {
    return this.client.environmentInfo ?? this.client.call("environment/info", null);
  }
}
