// Guards the parseArgs that the build gives citty instead of node:util's (src/cli/citty-util.ts):
// for citty's calls (strict: false, positionals allowed) it must answer exactly as node:util does.
import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs as nodeParseArgs } from "node:util";
import { renderUsage } from "citty";
import { cittyFastStart, withCaseShortCuts } from "../../build.ts";
import { parseArgs } from "../../src/cli/citty-util.ts";
import { main } from "../../src/cli/main.ts";

type Options = NonNullable<Parameters<typeof nodeParseArgs>[0]>["options"];

const OPTIONS: Options = {
  listen: { type: "string", default: "ws://127.0.0.1:0" },
  "log-level": { type: "string" },
  logLevel: { type: "string" },
  cloud: { type: "boolean" },
  tty: { type: "boolean", short: "t" },
  file: { type: "string", short: "f" },
  env: { type: "string", short: "e", multiple: true },
  all: { type: "boolean", short: "a", default: false },
};

const same = (args: string[], options: Options = OPTIONS) => {
  const config = { args, options, strict: false, allowPositionals: true } as const;
  expect(JSON.stringify(parseArgs(config))).toBe(JSON.stringify(nodeParseArgs(config)));
  expect(Object.getPrototypeOf(parseArgs(config).values)).toBe(null);
};

test.each([
  [[]],
  [["--listen", "ws://0.0.0.0:1"]],
  [["--listen=ws://[::1]:2", "--cloud"]],
  [["--listen", "--cloud"]],
  [["--listen"]],
  [["--cloud=false", "--cloud", "x"]],
  [["--log-level", "debug", "--logLevel=info", "extra"]],
  [["--unknown", "v", "--other=1", "--=x", "---x", "--a=b=c"]],
  [["-t", "-f", "name", "-fname", "-tf", "v", "-atfv", "-ta", "-x", "-xyz", "-", "--"]],
  [["-e", "A=1", "--env=B=2", "-eC=3", "--env"]],
  [["exec", "--url", "ws://h:1", "--", "sh", "-c", "--x"]],
  [["--__proto__", "x", "--__proto__=y", "--constructor", "--toString=1"]],
  [["-", "--", "--listen", "x"]],
])("%p answers as node:util does", (args) => {
  same(args);
});

test("answers as node:util does with no options, and with citty's options for the server", () => {
  same(["--a", "b", "-c", "--d=e"], undefined);
  same(["--a", "b", "-c", "--d=e"], {});
  const options: Options = {};
  for (const name of Object.keys(main.args as object)) options[name] = { type: "string" };
  same(["--listen", "ws://127.0.0.1:0", "--session-ttl-ms", "5", "--cloud", "--no-cloud"], options);
});

test("agrees with node:util on random argument lists", () => {
  const pieces = [
    "--listen",
    "--cloud",
    "--env",
    "-t",
    "-f",
    "-e",
    "-ta",
    "-atf",
    "-x",
    "--",
    "-",
    "v",
    "=",
    "--a=b",
  ];
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < 500; i++) {
    const args = Array.from({ length: Math.floor(random() * 7) }, () => {
      const piece = pieces[Math.floor(random() * pieces.length)] as string;
      return random() < 0.2 ? `${piece}x` : piece;
    });
    same(args);
  }
});

test("other calls go to node:util (strict mode throws as it does)", () => {
  expect(() => parseArgs({ args: ["--nope"], options: {}, strict: true })).toThrow(/Unknown option '--nope'/);
  expect(parseArgs({ args: ["--a"], strict: false, tokens: true })).toHaveProperty("tokens");
});

test("the case short cuts answer as scule does", async () => {
  const path = join(dirname(require.resolve("citty")), "_chunks/libs/scule.mjs");
  const copy = join(mkdtempSync(join(tmpdir(), "scule-")), "scule.mjs");
  await Bun.write(copy, withCaseShortCuts(path, await Bun.file(path).text()));
  const fast = await import(copy);
  const slow = await import(path);
  const names = [...Object.keys(main.args as object), "a", "a1", "1a", "x-9", "", "-a", "a-", "a--b", "aB"];
  names.push("a_b", "logLevel", "LOG-LEVEL", "a.b", "a/b", "ws-token-sha256", "über-flag");
  for (const name of names) {
    for (const fn of ["t", "n", "r"]) expect(fast[fn](name)).toBe(slow[fn](name)); // camel, kebab, snake
    expect(fast.n(name, "_")).toBe(slow.n(name, "_"));
  }
});

test("the build gives citty this module and its case short cuts, and --help still lists every flag", async () => {
  const built = await Bun.build({
    entrypoints: [new URL("../../src/index.ts", import.meta.url).pathname],
    target: "bun",
    format: "esm",
    splitting: true,
    plugins: [cittyFastStart],
  });
  expect(built.success).toBe(true);
  const texts = await Promise.all(built.outputs.map((output) => output.text()));
  const citty = texts.find((text) => text.includes("function splitByCase")) ?? "";
  // (booleans: a failed toContain would print the whole bundle)
  expect(citty.split("/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(str)").length).toBe(3); // camelCase, kebabCase
  expect(citty.includes("src/cli/citty-util.ts")).toBe(true);
  expect(/^import[^;]*from ?"(node:)?util"/m.test(citty)).toBe(false);
  const usage = await renderUsage(main);
  for (const flag of Object.keys(main.args as object)) expect(usage).toContain(`--${flag}`);
});
