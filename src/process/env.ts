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

/**
 * A case-insensitive glob (`*` any run, `?` one character) as a predicate on names. Matched with
 * one pass that remembers only the last `*` (a failed match there resumes one character later):
 * time is at most the product of the two lengths, where a backtracking regex of `*a*a…*b` is
 * exponential in the stars, and the client controls both the patterns and the names.
 */
export function globMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const lowered = patterns.map((pattern) => pattern.toLowerCase());
  return (name) => {
    const text = name.toLowerCase();
    return lowered.some((pattern) => globMatches(pattern, text));
  };
}

function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    const ch = pattern[p];
    if (ch === "*") {
      star = p++;
      resume = t;
    } else if (ch !== undefined && (ch === "?" || ch === text[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
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
