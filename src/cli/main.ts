// The dispatcher: the first argument names a command (exec, cp, call, serve, help), anything else
// is the server's own flags. Each command module loads only when named, so a server start loads
// none of them.
import { type Command, exitWith, runCommand } from "./command.ts";
import { renderHelp } from "./help.ts";
import { NAME, serveCommand } from "./serve.ts";

const COMMANDS: Record<string, () => Promise<Command>> = {
  exec: () => import("./exec.ts").then((m) => m.execCommand),
  cp: () => import("./cp.ts").then((m) => m.cpCommand),
  call: () => import("./call.ts").then((m) => m.callCommand),
};

async function commandNamed(name: string): Promise<Command | undefined> {
  if (name === "serve") return serveCommand;
  return Object.hasOwn(COMMANDS, name) ? (COMMANDS[name] as () => Promise<Command>)() : undefined;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "help") {
    if (rest.length > 1) exitWith(2, `${NAME}: help takes one command name`);
    const command = rest[0] === undefined ? serveCommand : await commandNamed(rest[0]);
    if (!command) exitWith(2, `${NAME}: no command '${rest[0]}' (see ${NAME} --help)`);
    process.stdout.write(renderHelp(command.help));
    return 0;
  }
  const command = first === undefined ? undefined : await commandNamed(first);
  if (command) return runCommand(command, rest);
  return runCommand(serveCommand, argv);
}
