import type { Command } from "./command.ts";

export const callCommand: Command = {
  name: "codex-exec-server call",
  maxPositionals: 2,
  help: { usage: ["codex-exec-server call"], summary: "not yet", flags: {} },
  async run() {
    return 1;
  },
};
