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
  const tests = patterns.map((pattern) => patternTest(pattern.toLowerCase()));
  return (name) => {
    const text = name.toLowerCase();
    for (const matches of tests) if (matches(text)) return true;
    return false;
  };
}

const WILDCARD = /[*?]/;

/**
 * One lowered pattern as a test of a lowered name: the shapes environment patterns come in
 * (`NAME`, `*PART*`, `PREFIX*`, `*SUFFIX`, as in the default excludes) by one native string
 * operation, where globMatches walks both strings a character at a time; every other pattern by
 * globMatches. test/unit/env.test.ts holds each shape to globMatches.
 */
export function patternTest(pattern: string): (text: string) => boolean {
  const inner = pattern.slice(1, -1);
  if (!WILDCARD.test(pattern)) return (text) => text === pattern;
  if (pattern.startsWith("*") && pattern.endsWith("*") && !WILDCARD.test(inner)) {
    return (text) => text.includes(inner);
  }
  const head = pattern.slice(0, -1);
  if (pattern.endsWith("*") && !WILDCARD.test(head)) return (text) => text.startsWith(head);
  const tail = pattern.slice(1);
  if (pattern.startsWith("*") && !WILDCARD.test(tail)) return (text) => text.endsWith(tail);
  return (text) => globMatches(pattern, text);
}

export function globMatches(pattern: string, text: string): boolean {
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

/**
 * The child sees its variables in name order, as the reference's sorted map gives them. The
 * names are sorted natively (the default order is the code-unit order `<` gives) and copied one by
 * one: a comparator called from the sort cost several times as much. test/unit/env.test.ts holds
 * it to the entries sorted with `<`.
 */
function sortedByName(env: Record<string, string>): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name] as string;
    // Assigning `__proto__` would set the prototype: it must become a member like any other.
    if (name === "__proto__")
      Object.defineProperty(sorted, name, { value, enumerable: true, writable: true, configurable: true });
    else sorted[name] = value;
  }
  return sorted;
}
