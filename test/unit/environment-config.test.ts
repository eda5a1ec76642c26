// Guards LocalEnvironmentConfig and the TOML writer: the user layer of $CODEX_HOME/config.toml,
// reduced to the requested key paths in the file's order, with the reference's errors.
import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { LocalEnvironmentConfig } from "../../src/config/local.ts";
import { stringifyToml } from "../../src/config/toml.ts";
import { InternalError, InvalidParams } from "../../src/errors.ts";
import { tempDir } from "../support/tmp.ts";

const CONFIG = `model = "gpt-5.5"
approval_policy = "never"

[mcp_servers.foo]
command = "echo"
args = ["hi"]
env = { A = "1", "B C" = "2" }

[mcp_servers.bar]
url = "http://127.0.0.1:9/x"
startup_timeout_sec = 10.5
enabled = true
when = 1979-05-27T07:32:00Z

[profiles.p1]
model = "o3"
`;

function withHome(text: string | null) {
  const dir = tempDir();
  if (text !== null) writeFileSync(join(dir.path, "config.toml"), text);
  const config = new LocalEnvironmentConfig({ CODEX_HOME: dir.path });
  const read = async (configPaths: string[][], requirementsPaths: string[][] = []) =>
    config.read({ cwd: "/nonexistent/dir", configPaths, requirementsPaths });
  const tomlOf = async (configPaths: string[][]) => (await read(configPaths)).config.layers[0]?.toml;
  return { dir, read, tomlOf };
}

test("the whole answer for one path: the user layer with its source and base directory", async () => {
  const { dir, read } = withHome(CONFIG);
  using _ = dir;
  expect(await read([["mcp_servers"]], [["mcp_servers"]])).toEqual({
    userHomeDir: homedir(),
    codexHomeDir: dir.path,
    hostname: hostname(),
    config: {
      layers: [
        {
          source: `user (${join(dir.path, "config.toml")})`,
          baseDir: dir.path,
          toml:
            '[mcp_servers.foo]\ncommand = "echo"\nargs = ["hi"]\n\n[mcp_servers.foo.env]\nA = "1"\n"B C" = "2"\n\n' +
            '[mcp_servers.bar]\nurl = "http://127.0.0.1:9/x"\nstartup_timeout_sec = 10.5\nenabled = true\nwhen = 1979-05-27T07:32:00Z\n',
        },
      ],
      cloudInsertionIndex: 0,
    },
    requirements: { layers: [], cloudInsertionIndex: 0 },
  });
});

test("key paths select as the reference does: deep keys, prefixes, the file's order", async () => {
  const { dir, tomlOf } = withHome(CONFIG);
  using _ = dir;
  expect(await tomlOf([["model"]])).toBe('model = "gpt-5.5"\n');
  expect(await tomlOf([["mcp_servers", "foo", "command"]])).toBe('[mcp_servers.foo]\ncommand = "echo"\n');
  expect(await tomlOf([["mcp_servers", "foo", "env"]])).toBe('[mcp_servers.foo.env]\nA = "1"\n"B C" = "2"\n');
  const both = 'model = "gpt-5.5"\n\n[profiles.p1]\nmodel = "o3"\n';
  expect(await tomlOf([["model"], ["profiles"]])).toBe(both);
  expect(await tomlOf([["profiles"], ["model"]])).toBe(both);
  // A path that runs into a value that is not a table takes that whole value.
  expect(await tomlOf([["model", "sub"]])).toBe('model = "gpt-5.5"\n');
  expect(await tomlOf([["mcp_servers", "foo", "args", "0"]])).toBe('[mcp_servers.foo]\nargs = ["hi"]\n');
  expect(await tomlOf([["model"], ["model"]])).toBe('model = "gpt-5.5"\n');
  expect(await tomlOf([["mcp_servers", "foo"], ["mcp_servers"]])).toBe(await tomlOf([["mcp_servers"]]));
  expect(await tomlOf([["nope"]])).toBeUndefined();
  expect(await tomlOf([[""]])).toBeUndefined();
});

test("no config file: no layers; a broken one: -32603 naming the file", async () => {
  const missing = withHome(null);
  using _ = missing.dir;
  expect((await missing.read([["model"]])).config.layers).toEqual([]);
  const broken = withHome('model = "x"\n[broken\n');
  using __ = broken.dir;
  const error = await broken.read([["model"]]).catch((e) => e);
  expect(error).toBeInstanceOf(InternalError);
  expect(error.message).toStartWith(
    `failed to load executor-local config: ${join(broken.dir.path, "config.toml")}: `,
  );
});

test("path lists: both empty, or an empty path, are refused with the reference's messages", async () => {
  const { dir, read } = withHome(CONFIG);
  using _ = dir;
  const none = await read([], []).catch((e) => e);
  expect([none.constructor, none.message]).toEqual([
    InvalidParams,
    "at least one config or requirements path is required",
  ]);
  for (const [configPaths, requirementsPaths] of [
    [[[]], []],
    [[["model"]], [[]]],
  ] as [string[][], string[][]][]) {
    const empty = await read(configPaths, requirementsPaths).catch((e) => e);
    expect([empty.constructor, empty.message]).toEqual([
      InvalidParams,
      "TOML paths must contain at least one key segment",
    ]);
  }
});

test("stringifyToml writes what Bun's parser reads back as the same values", () => {
  const source = `n = 10.5
i = 3
d = 1979-05-27
t = 07:32:00
ldt = 1979-05-27T07:32:00
s = "a\\"b\\u00e9\\n\\u007f"
lit = 'c:\\x'
arr = [[1, 2], { a = 1 }]
inf = inf
"dotted.key" = 1
x.y.z = 2
empty = {}
[[aot]]
k = 1
[aot.sub]
q = true
[[aot]]
k = 2
`;
  const parsed = Bun.TOML.parse(source) as Record<string, unknown>;
  const written = stringifyToml(parsed);
  expect(Bun.TOML.parse(written)).toEqual(parsed);
  expect(written).toContain("[x.y]\nz = 2\n");
  expect(written).toContain("d = 1979-05-27\nt = 07:32:00\nldt = 1979-05-27T07:32:00\n");
  expect(written).toContain("[[aot]]\nk = 1\n\n[aot.sub]\nq = true\n\n[[aot]]\nk = 2\n");
});

test("a trusted project adds its .codex/config.toml layers, from the git root down to cwd", async () => {
  using work = tempDir();
  const project = join(work.path, "proj");
  mkdirSync(join(project, ".codex"), { recursive: true });
  mkdirSync(join(project, "sub/.codex"), { recursive: true });
  mkdirSync(join(project, "sub/deep"), { recursive: true });
  writeFileSync(join(project, ".codex/config.toml"), 'model = "proj"\n');
  writeFileSync(join(project, "sub/.codex/config.toml"), 'model = "sub"\n');
  const { dir } = withHome(
    `model = "user"\n[projects.${JSON.stringify(project)}]\ntrust_level = "trusted"\n`,
  );
  using _ = dir;
  const config = new LocalEnvironmentConfig({ CODEX_HOME: dir.path });
  const sources = async (cwd: string) =>
    (await config.read({ cwd, configPaths: [["model"]], requirementsPaths: [] })).config.layers.map(
      (layer) => [layer.source, layer.baseDir, layer.toml],
    );
  const user = [`user (${join(dir.path, "config.toml")})`, dir.path, 'model = "user"\n'];
  const layer = (at: string, model: string) => [
    `project (${join(at, ".codex/config.toml")})`,
    join(at, ".codex"),
    `model = "${model}"\n`,
  ];
  // No git: the project is the cwd itself, and only a trusted cwd counts.
  expect(await sources(project)).toEqual([user, layer(project, "proj")]);
  expect(await sources(join(project, "sub/deep"))).toEqual([user]);
  // An empty .git is not a repository; one with a HEAD makes proj the root for everything below it.
  mkdirSync(join(project, ".git"));
  expect(await sources(join(project, "sub/deep"))).toEqual([user]);
  writeFileSync(join(project, ".git/HEAD"), "ref: refs/heads/main\n");
  expect(await sources(join(project, "sub/deep"))).toEqual([
    user,
    layer(project, "proj"),
    layer(join(project, "sub"), "sub"),
  ]);
});
