// Guards the envPolicy pipeline (SPEC §5): inherit, default excludes, exclude, set, includeOnly, env.
import { expect, test } from "bun:test";
import { childEnvironment, globMatcher, globMatches, patternTest } from "../../src/process/env.ts";

const server = {
  HOME: "/root",
  PATH: "/bin",
  OPENAI_API_KEY: "k",
  MY_SECRET_X: "s",
  GH_TOKEN: "t",
  EDITOR: "vi",
};
const policy = (overrides: object) => ({
  inherit: "all" as const,
  ignoreDefaultExcludes: false,
  exclude: [],
  set: {},
  includeOnly: [],
  ...overrides,
});

test("no policy: exactly env", () => {
  expect(childEnvironment({ A: "1" }, null, server)).toEqual({ A: "1" });
});

test("inherit all drops *KEY*, *SECRET*, *TOKEN* case-insensitively unless told not to", () => {
  expect(childEnvironment({}, policy({}), { ...server, my_key_lower: "x" })).toEqual({
    HOME: "/root",
    PATH: "/bin",
    EDITOR: "vi",
  });
  expect(childEnvironment({}, policy({ ignoreDefaultExcludes: true }), server)).toEqual(server);
});

test("core keeps only the core variables; none keeps nothing", () => {
  expect(childEnvironment({}, policy({ inherit: "core" }), server)).toEqual({ HOME: "/root", PATH: "/bin" });
  expect(childEnvironment({}, policy({ inherit: "none" }), server)).toEqual({});
});

test("exclude, then set, then includeOnly, then env on top", () => {
  const result = childEnvironment(
    { LAST: "env", EDITOR: "nano" },
    policy({ exclude: ["HO*"], set: { SET_ME: "1", PATH: "/usr/bin" }, includeOnly: ["*E*", "PATH"] }),
    server,
  );
  expect(result).toEqual({ SET_ME: "1", PATH: "/usr/bin", EDITOR: "nano", LAST: "env" });
});

test("globs: * and ? and literal regex characters", () => {
  const match = globMatcher(["A?C", "X.*", "(paren)"]);
  expect(["ABC", "abc", "X.anything", "(PAREN)"].map(match)).toEqual([true, true, true, true]);
  expect(["AC", "XY", "paren"].map(match)).toEqual([false, false, false]);
});

test("globs match as the regex they stand for, without backtracking", () => {
  const asRegex = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replaceAll("*", ".*")
        .replaceAll("?", ".")}$`,
      "i",
    );
  const alphabet = ["a", "B", "*", "?", "_"];
  let seed = 1;
  const pick = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return alphabet[seed % alphabet.length] as string;
  };
  for (let i = 0; i < 2000; i++) {
    const pattern = Array.from({ length: 1 + (i % 6) }, pick).join("");
    const name = Array.from({ length: i % 7 }, pick)
      .join("")
      .replace(/[*?]/g, "c");
    expect([pattern, name, globMatcher([pattern])(name)]).toEqual([
      pattern,
      name,
      asRegex(pattern).test(name),
    ]);
  }
  // A pattern that takes a backtracking regex exponential time.
  expect(globMatcher([`${"*a".repeat(30)}*b`])("a".repeat(60))).toBe(false);
  expect(globMatcher([`${"*a".repeat(30)}*b`])(`${"a".repeat(60)}b`)).toBe(true);
});

test("each pattern's fast test answers what the one-pass glob answers", () => {
  const strings = (alphabet: string[], max: number): string[] => {
    const out = [""];
    for (let length = 1, last = [""]; length <= max; length++) {
      last = last.flatMap((prefix) => alphabet.map((c) => prefix + c));
      out.push(...last);
    }
    return out;
  };
  const patterns = [
    ...strings(["a", "b", "*", "?"], 4),
    "*key*",
    "*secret*",
    "*token*",
    "codex_version",
    "codex_*",
    "*_version",
  ];
  const names = [
    ...strings(["a", "b"], 4),
    "openai_api_key",
    "codex_version",
    "codex_ci",
    "path",
    "my_secret",
    "",
  ];
  for (const pattern of patterns) {
    const matches = patternTest(pattern);
    for (const name of names) {
      expect([pattern, name, matches(name)]).toEqual([pattern, name, globMatches(pattern, name)]);
    }
  }
});

test("the child's variables come in code-unit order of their names, whatever the names", () => {
  const env = JSON.parse(
    '{"b":"1","B":"2","10":"3","2":"4","_x":"5","é":"6","😀":"7","a b":"8","__proto__":"9","":"10","Z":"11"}',
  ) as Record<string, string>;
  const obvious = Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const sorted = childEnvironment(env, null);
  expect(Object.entries(sorted)).toEqual(Object.entries(obvious));
  expect(Object.getPrototypeOf(sorted)).toBe(Object.prototype);
  expect(Object.hasOwn(sorted, "__proto__")).toBe(true);
});
