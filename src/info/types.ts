// What an Environment says of the host it runs on (Codex 0.169+ `environmentInfo`): the shell
// commands run through, directories, platform, and which optional features work there.
import type { EnvironmentInfo } from "../protocol/initialize.ts";

export type { EnvironmentInfo };

export interface HostInfo {
  info(): Promise<EnvironmentInfo>;
}
