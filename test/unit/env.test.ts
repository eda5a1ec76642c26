// Guards the envPolicy pipeline (SPEC §5): inherit, default excludes, exclude, set, includeOnly, env.
import { expect, test } from "bun:test";
import { childEnvironment, globMatcher } from "../../src/process/env.ts";

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
