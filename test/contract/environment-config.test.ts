// Guards the EnvironmentConfig contract against Environment.local() and Environment.remote(url):
// both read the executor host's $CODEX_HOME/config.toml (here this process's, set per test).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { InvalidParams } from "../../src/errors.ts";
import { ENVIRONMENTS } from "../support/environments.ts";
import { tempDir } from "../support/tmp.ts";

let home: ReturnType<typeof tempDir>;
const saved = process.env.CODEX_HOME;
beforeEach(() => {
  home = tempDir();
  process.env.CODEX_HOME = home.path;
});
afterEach(() => {
  if (saved === undefined) delete process.env.CODEX_HOME;
  else process.env.CODEX_HOME = saved;
  home[Symbol.dispose]();
});

describe.each(ENVIRONMENTS)("EnvironmentConfig (%s)", (_name, makeEnvironment) => {
  test("the user layer, reduced to the requested keys", async () => {
    await using env = await makeEnvironment();
    writeFileSync(
      join(home.path, "config.toml"),
      'model = "m"\n[mcp_servers.foo]\ncommand = "echo"\nargs = ["hi"]\n[profiles.p]\nmodel = "o"\n',
    );
    const result = await env.config.read({
      cwd: "/nonexistent",
      configPaths: [["mcp_servers"]],
      requirementsPaths: [["mcp_servers"]],
    });
    expect(result).toEqual({
      userHomeDir: homedir(),
      codexHomeDir: home.path,
      hostname: hostname(),
      config: {
        layers: [
          {
            source: `user (${join(home.path, "config.toml")})`,
            baseDir: home.path,
            toml: '[mcp_servers.foo]\ncommand = "echo"\nargs = ["hi"]\n',
          },
        ],
        cloudInsertionIndex: 0,
      },
      requirements: { layers: [], cloudInsertionIndex: 0 },
    });
  });

  test("no paths at all, or an empty one, is InvalidParams", async () => {
    await using env = await makeEnvironment();
    const none = await env.config.read({ cwd: "/", configPaths: [], requirementsPaths: [] }).catch((e) => e);
    expect([none.constructor, none.message]).toEqual([
      InvalidParams,
      "at least one config or requirements path is required",
    ]);
    const empty = await env.config
      .read({ cwd: "/", configPaths: [[]], requirementsPaths: [] })
      .catch((e) => e);
    expect([empty.constructor, empty.message]).toEqual([
      InvalidParams,
      "TOML paths must contain at least one key segment",
    ]);
  });
});
