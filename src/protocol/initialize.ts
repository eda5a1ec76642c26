import { z } from "zod";
import { lazy } from "./lazy.ts";
import { PathUri } from "./path.ts";

export const InitializeParams = lazy(() =>
  z.object({
    clientName: z.string(),
    resumeSessionId: z.string().nullish(),
    /**
     * [ext] The client takes output from the notifications (reading only to fill a gap): its
     * programs are not held for a first process/read. Servers that do not know it ignore it.
     */
    outputFromNotifications: z.boolean().nullish(),
  }),
);
export type InitializeParams = z.infer<typeof InitializeParams>;

/**
 * The executor's capabilities as Codex 0.169+ reads them: each gates a feature of the client, and
 * a missing one counts as false. True only for what works here.
 */
export const Capabilities = lazy(() => z.record(z.string(), z.boolean()));
export type Capabilities = z.infer<typeof Capabilities>;

/**
 * What this host is, as Codex 0.169+ expects it (Codex 0.125 ignores it). `shell.path` is the
 * program the client runs every command through, so it must exist here; without `shell.name` and
 * `shell.path` a 0.171 client drops the environment.
 */
export const EnvironmentInfo = lazy(() =>
  z.looseObject({
    shell: z.object({ name: z.string(), path: z.string() }),
    executorVersion: z.string(),
    providerId: z.string(),
    cwd: PathUri,
    userHomeDir: PathUri,
    platformOs: z.string(),
    prependPathDirs: z.array(PathUri),
    temporaryDirectories: z.array(PathUri),
    tempDir: PathUri,
    capabilities: Capabilities,
  }),
);
export type EnvironmentInfo = z.infer<typeof EnvironmentInfo>;

export const InitializeResult = lazy(() =>
  z.object({
    sessionId: z.string(),
    environmentInfo: EnvironmentInfo.nullish(),
  }),
);
export type InitializeResult = z.infer<typeof InitializeResult>;

/** `environment/info` takes no params: null, `{}` or none. */
export const EnvironmentInfoParams = lazy(() => z.union([z.null(), z.object({}), z.undefined()]));
export type EnvironmentInfoParams = z.infer<typeof EnvironmentInfoParams>;
