// Whether a sandbox a client sends restricts anything. Until this server enforces sandboxes, a
// restricting one is refused: a command or a file operation the client asked to contain must
// never run uncontained.

interface SandboxLike {
  permissions?: { type?: unknown; file_system?: unknown; network?: unknown } | null;
}

/** Network settings that leave the network open. */
const OPEN_NETWORK = new Set([undefined, null, "enabled", "unrestricted", "full"]);

/**
 * `disabled` and `external` (sandboxed by someone else) restrict nothing here; `managed` restricts
 * nothing only with an unrestricted file system and an open network. Anything else restricts.
 */
export function restrictsAnything(sandbox: SandboxLike | null | undefined): boolean {
  const permissions = sandbox?.permissions;
  if (!sandbox || !permissions) return false;
  if (permissions.type === "disabled" || permissions.type === "external") return false;
  if (permissions.type !== "managed") return true;
  const fileSystem = permissions.file_system as { type?: unknown } | undefined;
  return fileSystem?.type !== "unrestricted" || !OPEN_NETWORK.has(permissions.network as string);
}

/** For fs calls only the file system counts (a file operation makes no connections). */
export function restrictsFileSystem(sandbox: SandboxLike | null | undefined): boolean {
  const permissions = sandbox?.permissions;
  if (!sandbox || !permissions) return false;
  if (permissions.type === "disabled" || permissions.type === "external") return false;
  const fileSystem = permissions.file_system as { type?: unknown } | undefined;
  return permissions.type !== "managed" || fileSystem?.type !== "unrestricted";
}
