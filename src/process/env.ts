// The child's environment: exactly `env` without a policy, else the server's environment shaped by
// the policy (inherit → default excludes → exclude → set → includeOnly) with `env` laid over it.
import type { EnvPolicy } from "../protocol/process.ts";

const CORE_VARS = new Set([
  "HOME",
  "LOGNAME",
  "PATH",
  "SHELL",
  "USER",
  "USERNAME",
  "TMPDIR",
  "TEMP",
  "TMP",
  "LANG",
]);
const DEFAULT_EXCLUDES = ["*KEY*", "*SECRET*", "*TOKEN*"];

/** A case-insensitive glob (`*` any run, `?` one character) as a predicate on names. */
export function globMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const source = patterns
    .map((pattern) =>
      pattern
        .split("")
        .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join(""),
    )
    .join("|");
  const regex = new RegExp(`^(?:${source})$`, "i");
  return (name) => regex.test(name);
}

export function childEnvironment(
  env: Record<string, string>,
  policy: EnvPolicy | null | undefined,
  serverEnv: Record<string, string | undefined> = process.env,
): Record<string, string> {
  if (!policy) return sortedByName(env);
  const isDefaultExcluded = policy.ignoreDefaultExcludes ? () => false : globMatcher(DEFAULT_EXCLUDES);
  const isExcluded = globMatcher(policy.exclude);
  const result: Record<string, string> = {};
  if (policy.inherit !== "none") {
    for (const [name, value] of Object.entries(serverEnv)) {
      if (value === undefined) continue;
      if (policy.inherit === "core" && !CORE_VARS.has(name)) continue;
      if (isDefaultExcluded(name) || isExcluded(name)) continue;
      result[name] = value;
    }
  }
  Object.assign(result, policy.set);
  if (policy.includeOnly.length > 0) {
    const isIncluded = globMatcher(policy.includeOnly);
    for (const name of Object.keys(result)) if (!isIncluded(name)) delete result[name];
  }
  return sortedByName(Object.assign(result, env));
}

/** The child sees its variables in name order, as the reference's sorted map gives them. */
function sortedByName(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
