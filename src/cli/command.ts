// What a command is to the dispatcher (main.ts): its help (which holds its Flags table), how its
// arguments are split, and its work, which returns the exit code.
import { type Flags, type Parsed, parseArgs } from "./args.ts";
import { type CommandHelp, renderHelp } from "./help.ts";
import { UsageError } from "./options.ts";

export interface Command {
  /** `codex-exec-server exec`: the prefix of its messages. */
  name: string;
  help: CommandHelp & { flags: Flags };
  maxPositionals: number;
  isStopAtPositional?: boolean;
  run(parsed: Parsed): Promise<number>;
}

export function exitWith(code: number, line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(code);
}

/** Parse, print help or run; a UsageError is one line on stderr and exit 2. */
export async function runCommand(command: Command, args: readonly string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(args, command.help.flags, { ...command, command: command.name });
  } catch (error) {
    if (error instanceof UsageError) exitWith(2, `${command.name}: ${error.message}`);
    throw error;
  }
  if (parsed.isHelp) {
    process.stdout.write(renderHelp(command.help));
    return 0;
  }
  try {
    return await command.run(parsed);
  } catch (error) {
    if (error instanceof UsageError) exitWith(2, `${command.name}: ${error.message}`);
    throw error;
  }
}
