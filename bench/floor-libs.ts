// The floor (bench/floor-server.ts) with the libraries this stack fixes loaded first, as a server
// on it must load them before it can answer: zod (every message without a hand-written check goes
// through it), consola (the logger), node:fs, node:fs/promises and node:os (the files and the host
// the server serves). Each is used once so that none is left out of the bundle. Compiled as ours
// is, it is the `floor-libs-bin` kind (bench/servers.ts): what start-up costs before any of our code.
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { homedir } from "node:os";
import { createConsola } from "consola/core";
import { z } from "zod";

const used = [existsSync, stat, homedir, createConsola, z.object];
if (used.some((part) => typeof part !== "function")) throw new Error("a library is missing");
await import("./floor-server.ts");
