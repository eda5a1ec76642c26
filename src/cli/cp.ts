import type { Command } from "./command.ts";

export const cpCommand: Command = {
  name: "codex-exec-server cp",
  maxPositionals: 2,
  help: { usage: ["codex-exec-server cp"], summary: "not yet", flags: {} },
  async run() {
    return 1;
  },
};
