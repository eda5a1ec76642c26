// The sandbox context a Codex client attaches to process/start (0.169+) and to fs writes (0.125 and
// 0.169+), as captured from real clients (test/fixtures/sandbox/). Variant names and required
// fields follow what the 0.171 reference accepts; unknown extra members are kept and ignored.
// Path strings are plain absolute paths (0.125) or file:// URIs (0.169+): src/sandbox decodes them.
import { z } from "zod";
import { lazy } from "./lazy.ts";

export const FileSystemAccess = lazy(() => z.enum(["read", "write", "deny", "none"]));
export type FileSystemAccess = z.infer<typeof FileSystemAccess>;

export const SpecialPathKind = lazy(() =>
  z.enum(["root", "minimal", "current_working_directory", "project_roots", "tmpdir", "slash_tmp", "unknown"]),
);
export type SpecialPathKind = z.infer<typeof SpecialPathKind>;

export const SpecialPath = lazy(() =>
  z.looseObject({
    kind: SpecialPathKind,
    /** project_roots only: a path relative to each root (".git"). */
    subpath: z.string().nullish(),
    /** unknown only (a kind this client knows and we do not). */
    path: z.string().nullish(),
  }),
);
export type SpecialPath = z.infer<typeof SpecialPath>;

export const FileSystemPath = lazy(() =>
  z.discriminatedUnion("type", [
    z.looseObject({ type: z.literal("path"), path: z.string() }),
    z.looseObject({ type: z.literal("glob_pattern"), pattern: z.string() }),
    z.looseObject({ type: z.literal("special"), value: SpecialPath }),
  ]),
);
export type FileSystemPath = z.infer<typeof FileSystemPath>;

export const FileSystemEntry = lazy(() =>
  z.looseObject({
    path: FileSystemPath,
    access: FileSystemAccess,
    missing_path_behavior: z.enum(["skip"]).nullish(),
  }),
);
export type FileSystemEntry = z.infer<typeof FileSystemEntry>;

export const FileSystemPolicy = lazy(() =>
  z.discriminatedUnion("type", [
    z.looseObject({ type: z.literal("restricted"), entries: z.array(FileSystemEntry) }),
    z.looseObject({ type: z.literal("unrestricted") }),
  ]),
);
export type FileSystemPolicy = z.infer<typeof FileSystemPolicy>;

export const NetworkPolicy = lazy(() => z.enum(["restricted", "enabled"]));
export type NetworkPolicy = z.infer<typeof NetworkPolicy>;

export const SandboxPermissions = lazy(() =>
  z.discriminatedUnion("type", [
    z.looseObject({ type: z.literal("managed"), file_system: FileSystemPolicy, network: NetworkPolicy }),
    z.looseObject({ type: z.literal("disabled") }),
    z.looseObject({ type: z.literal("external"), network: NetworkPolicy }),
  ]),
);
export type SandboxPermissions = z.infer<typeof SandboxPermissions>;

export const SandboxPolicyContext = lazy(() =>
  z.looseObject({
    cwd: z.string().nullish(),
    workspaceRoots: z.array(z.string()).nullish(),
  }),
);
export type SandboxPolicyContext = z.infer<typeof SandboxPolicyContext>;

/**
 * process/start.sandbox (0.169+) and the fs methods' `sandbox` (0.125: `cwd`; 0.169+: also
 * `policyContext`, `workspaceRoots`, `userHomeDir`). `windowsSandboxLevel` and the other Windows
 * and Landlock knobs are accepted and ignored.
 */
export const SandboxContext = lazy(() =>
  z.looseObject({
    permissions: SandboxPermissions,
    cwd: z.string().nullish(),
    workspaceRoots: z.array(z.string()).nullish(),
    policyContext: SandboxPolicyContext.nullish(),
    userHomeDir: z.string().nullish(),
  }),
);
export type SandboxContext = z.infer<typeof SandboxContext>;

/** What process/start reports: `none`, or the mechanism that actually confined the command. */
export const SandboxType = lazy(() => z.string());
export type SandboxType = z.infer<typeof SandboxType>;
