// Guards the one flag parser (src/cli/args.ts) and the help it writes: strict, one-line errors,
// docker-style short flags, a program's own flags left alone, colour only for a terminal.
import { afterEach, expect, test } from "bun:test";
import { type Flags, parseArgs } from "../../src/cli/args.ts";
import { isColorOutput, renderHelp } from "../../src/cli/help.ts";
import { UsageError } from "../../src/cli/options.ts";

const FLAGS = {
  url: { type: "string", description: "u" },
  tty: { type: "boolean", short: "t", description: "t" },
  interactive: { type: "boolean", short: "i", description: "i" },
  env: { type: "string", short: "e", isMultiple: true, description: "e" },
  workdir: { type: "string", short: "w", description: "w", aliases: ["cwd"] },
} as const satisfies Flags;

const exec = (args: string[]) =>
  parseArgs(args, FLAGS, { command: "x", maxPositionals: Infinity, isStopAtPositional: true });

test("long, short, grouped, attached and repeated flags", () => {
  expect(exec(["--url=ws://a", "-it", "-eA=1", "-e", "B=2", "--cwd", "/tmp", "ls"])).toEqual({
    values: { url: "ws://a", interactive: true, tty: true, env: ["A=1", "B=2"], workdir: "/tmp" },
    positionals: ["ls"],
    isHelp: false,
  });
});

test("the first positional starts the program: its flags are its own", () => {
  expect(exec(["--url", "u", "ls", "-la", "--url", "/"]).positionals).toEqual(["ls", "-la", "--url", "/"]);
  expect(exec(["--", "-weird", "-t"]).positionals).toEqual(["-weird", "-t"]);
});

test.each([
  [["--nope"], "unknown option '--nope' (see x --help)"],
  [["--urk", "u"], "unknown option '--urk'; did you mean --url?"],
  [["-x"], "unknown option '-x' (see x --help)"],
  [["--url"], "option '--url' needs a value"],
  [["-w"], "option '-w' needs a value"],
  [["--tty=yes"], "option '--tty' takes no value"],
])("%p is a UsageError", (args, message) => {
  expect(() => exec(args)).toThrow(new UsageError(message));
});

test("a command without positionals refuses a stray one", () => {
  expect(() => parseArgs(["a"], FLAGS, { command: "x", maxPositionals: 0 })).toThrow(
    new UsageError("unexpected argument 'a' (see x --help)"),
  );
});

test("--help anywhere asks for help", () => {
  expect(parseArgs(["--bogus-free", "-h"].slice(1), FLAGS, { command: "x", maxPositionals: 0 }).isHelp).toBe(
    true,
  );
});

const saved = process.env.NO_COLOR;
afterEach(() => {
  if (saved === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = saved;
});

test("colour only on a terminal without NO_COLOR; every line within 100 columns", () => {
  delete process.env.NO_COLOR;
  expect(isColorOutput({ isTTY: true })).toBe(true);
  expect(isColorOutput({ isTTY: false })).toBe(false);
  process.env.NO_COLOR = "1";
  expect(isColorOutput({ isTTY: true })).toBe(false);
  const help = { usage: ["x [OPTIONS]"], summary: "s ".repeat(120), flags: FLAGS };
  expect(renderHelp(help, true)).toContain("\u001b[1m");
  const plain = renderHelp(help, false);
  expect(plain).not.toContain("\u001b");
  expect(Math.max(...plain.split("\n").map((l) => l.length))).toBeLessThanOrEqual(100);
});
