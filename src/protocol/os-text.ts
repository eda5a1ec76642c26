// Strings that reach the operating system (argv, environment, paths) must arrive as sent: a lone
// surrogate would be rewritten to U+FFFD (two different names becoming one) and a NUL byte would
// cut the string. Such text is refused, and the messages never repeat it.
import { z } from "zod";
import { lazy } from "./lazy.ts";

export const OsText = lazy(() =>
  z
    .string()
    .refine((text) => text.isWellFormed(), "must be well-formed Unicode (no lone surrogates)")
    .refine((text) => !text.includes("\0"), "must not contain a NUL byte"),
);

/**
 * An environment: names non-empty, without `=` (the child would see a different name and value),
 * well-formed and without NUL, and not `__proto__` (parsing into an object drops it silently).
 * Checked on the raw object, before parsing can drop anything; a bad name is not repeated.
 */
export const EnvMap = lazy(() =>
  z
    .unknown()
    .superRefine((value, ctx) => {
      if (!value || typeof value !== "object") return;
      for (const name of Object.keys(value)) {
        const problem =
          name === ""
            ? "names must not be empty"
            : name.includes("=")
              ? "names must not contain '='"
              : name === "__proto__"
                ? "the name __proto__ is not allowed"
                : !name.isWellFormed() || name.includes("\0")
                  ? "names must be well-formed Unicode without NUL bytes"
                  : null;
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }
    })
    .pipe(z.record(z.string(), OsText)),
);
