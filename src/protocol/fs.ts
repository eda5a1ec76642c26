import { z } from "zod";

/**
 * The optional sandbox profile Codex attaches to filesystem calls. Only its `permissions.type` is
 * read here; the rest is accepted as sent (see the fs handler for which profiles run).
 */
export const SandboxProfile = z.looseObject({
  permissions: z.looseObject({ type: z.string() }).nullish(),
});
export type SandboxProfile = z.infer<typeof SandboxProfile>;

const Sandboxed = { sandbox: SandboxProfile.nullish() };

export const FsGetMetadataParams = z.object({ path: z.string(), ...Sandboxed });
export type FsGetMetadataParams = z.infer<typeof FsGetMetadataParams>;

export const FsGetMetadataResult = z.object({
  isDirectory: z.boolean(),
  isFile: z.boolean(),
  isSymlink: z.boolean(),
  createdAtMs: z.number(),
  modifiedAtMs: z.number(),
});
export type FsGetMetadataResult = z.infer<typeof FsGetMetadataResult>;
