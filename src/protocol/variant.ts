// Enum fields as the reference (serde) reads them.
import { z } from "zod";

/**
 * A serde unit variant, as the reference reads one: its name, or the map form `{"name": null}`
 * (with exactly one key).
 */
export function unitVariant<const T extends readonly [string, ...string[]]>(names: T) {
  const mapForm = z
    .partialRecord(z.enum(names), z.null())
    .refine((value) => Object.keys(value).length === 1, "expected a map with a single key")
    .transform((value) => Object.keys(value)[0] as T[number]);
  return z.union([z.enum(names), mapForm]);
}
