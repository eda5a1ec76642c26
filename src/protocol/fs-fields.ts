// What the filesystem methods of both dialects share (fs.ts, fs-extra.ts); not part of the wire's
// exported names.
import { z } from "zod";
import { lazy } from "./lazy.ts";
import { SandboxContext } from "./sandbox.ts";

/** The optional sandbox context Codex attaches to filesystem calls (checked by src/sandbox/fs-check.ts). */
export const Sandboxed = lazy(() => ({ sandbox: SandboxContext.nullish() }));
export const Empty = lazy(() => z.object({}));
