// Help text written from a command's Flags table: at most 100 columns, bold headings only when
// stdout is a terminal and NO_COLOR is unset (https://no-color.org), plain text otherwise.
import type { Flags } from "./args.ts";

export const HELP_WIDTH = 100;

export interface CommandHelp {
  /** Usage lines, without the leading "usage: ". */
  usage: string[];
  summary: string;
  flags: Flags;
  /** Sub-commands: [name, one line]. */
  commands?: [string, string][];
  /** Paragraphs after the options. */
  notes?: string[];
}

export function isColorOutput(stream: { isTTY?: boolean } = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

/** `text` wrapped at word boundaries to `width`, every line after the first indented by `indent`. */
export function wrap(text: string, width: number, indent: number, firstIndent = indent): string {
  const lines: string[] = [];
  let line = "";
  let room = width - firstIndent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = width - indent;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

const COLUMN = 30;

function flagLabel(name: string, flag: Flags[string]): string {
  const short = flag.short ? `-${flag.short}, ` : "    ";
  const hint = flag.type === "string" ? ` ${flag.hint ?? "VALUE"}` : "";
  return `  ${short}--${name}${hint}`;
}

export function renderHelp(help: CommandHelp, isColor = isColorOutput()): string {
  const heading = (text: string) => (isColor ? `\u001b[1m${text}\u001b[22m` : text);
  const out: string[] = [];
  help.usage.forEach((line, i) => {
    out.push(`${i === 0 ? heading("Usage:") : "      "} ${wrap(line, HELP_WIDTH, 9, 7)}`);
  });
  out.push("", wrap(help.summary, HELP_WIDTH, 0));
  if (help.commands?.length) {
    out.push("", heading("Commands:"));
    for (const [name, line] of help.commands) {
      out.push(`  ${name.padEnd(COLUMN - 2)}${wrap(line, HELP_WIDTH, COLUMN)}`);
    }
  }
  const entries = Object.entries(help.flags);
  if (entries.length > 0) {
    out.push("", heading("Options:"));
    for (const [name, flag] of entries) {
      const label = flagLabel(name, flag);
      const extras = [flag.env ? `[env ${flag.env}]` : "", flag.fallback ? `(default ${flag.fallback})` : ""];
      const text = [flag.description, ...extras].filter(Boolean).join(" ");
      if (label.length < COLUMN - 1) out.push(`${label.padEnd(COLUMN)}${wrap(text, HELP_WIDTH, COLUMN)}`);
      else out.push(label, `${" ".repeat(COLUMN)}${wrap(text, HELP_WIDTH, COLUMN)}`);
    }
    out.push(`${"  -h, --help".padEnd(COLUMN)}Print this help`);
  }
  for (const note of help.notes ?? []) out.push("", wrap(note, HELP_WIDTH, 0));
  return `${out.join("\n")}\n`;
}
