// Holds src/protocol/lazy.ts to the obvious code: a schema built at its first use parses, fails and
// composes exactly as the same schema built where it is declared. Each case builds one schema
// twice from the same builder, once eagerly and once through lazy(), and compares every answer.
import { expect, test } from "bun:test";
import { z } from "zod";
import * as protocol from "../../src/protocol/index.ts";
import { lazy } from "../../src/protocol/lazy.ts";
import * as sandbox from "../../src/protocol/sandbox.ts";

test("a lazy value is built at its first use, once", () => {
  let builds = 0;
  const schema = lazy(() => {
    builds += 1;
    return z.object({ a: z.string() });
  });
  const holder = z.object({ inner: schema, maybe: schema.optional().catch(undefined) });
  expect(builds).toBe(1); // .optional() touched it; z.object({ inner }) alone would not have
  const untouched = lazy(() => {
    builds += 1;
    return z.string();
  });
  z.object({ field: untouched });
  expect(builds).toBe(1);
  expect(holder.parse({ inner: { a: "x" } })).toEqual({ inner: { a: "x" }, maybe: undefined });
  expect(untouched.parse("y")).toBe("y");
  expect(builds).toBe(2);
  untouched.parse("z");
  expect(builds).toBe(2);
});

/** One builder per shape zod is used in on the wire: nesting, unions, refinements, transforms. */
function builders() {
  const leaf = () => z.int().min(0);
  return {
    object: (s: typeof leaf) => z.object({ n: s(), text: z.string().nullish() }),
    strict: (s: typeof leaf) => z.strictObject({ n: s() }),
    loose: (s: typeof leaf) => z.looseObject({ n: s().optional() }),
    array: (s: typeof leaf) => z.array(s()).max(3),
    union: (s: typeof leaf) => z.union([s(), z.string()]),
    discriminated: (s: typeof leaf) =>
      z.discriminatedUnion("type", [
        z.object({ type: z.literal("a"), n: s() }),
        z.object({ type: z.literal("b"), text: z.string() }),
      ]),
    refined: (s: typeof leaf) => s().refine((n) => n % 2 === 0, "must be even"),
    transformed: (s: typeof leaf) =>
      z.string().transform((text, ctx) => {
        const n = s().safeParse(Number(text));
        if (!n.success) {
          ctx.addIssue({ code: "custom", message: "not a count" });
          return z.NEVER;
        }
        return n.data;
      }),
    record: (s: typeof leaf) => z.record(z.string(), s()),
    piped: (s: typeof leaf) => z.unknown().pipe(z.record(z.string(), s())),
  };
}

const INPUTS: unknown[] = [
  0,
  7,
  -1,
  1.5,
  "4",
  "x",
  null,
  undefined,
  [],
  [1, 2],
  [1, 2, 3, 4],
  { n: 2 },
  { n: -2, text: null },
  { n: 2, extra: true },
  { type: "a", n: 3 },
  { type: "b", text: "t" },
  { type: "c" },
  { a: 1, b: -1 },
  { __proto__: null, k: 2 },
];

function answer(schema: z.ZodType, input: unknown) {
  const result = schema.safeParse(input);
  return result.success ? { data: result.data } : { issues: result.error.issues, text: result.error.message };
}

test("a lazy schema answers every input as its eager twin, alone and nested", () => {
  for (const [name, build] of Object.entries(builders())) {
    const eager = build(() => z.int().min(0));
    const lazyLeaf = build(() => lazy(() => z.int().min(0)));
    const lazyWhole = lazy(() => build(() => z.int().min(0)));
    const lazyBoth = lazy(() => build(() => lazy(() => z.int().min(0))));
    for (const input of INPUTS) {
      const expected = answer(eager, input);
      for (const schema of [lazyLeaf, lazyWhole, lazyBoth]) {
        expect({ name, input, answer: answer(schema, input) }).toEqual({ name, input, answer: expected });
      }
      // Composed after the fact, as modules do with .nullish() and fields of other objects.
      const wrap = (s: z.ZodType) => z.object({ field: s.nullish() });
      expect(answer(wrap(lazyWhole), { field: input })).toEqual(answer(wrap(eager), { field: input }));
    }
  }
});

test("a lazy object of fields spreads as the object does", () => {
  const fields = () => ({ sandbox: z.string().nullish(), n: z.int() });
  const eager = z.object({ path: z.string(), ...fields() });
  const spread = z.object({ path: z.string(), ...lazy(fields) });
  for (const input of [{ path: "/", n: 1 }, { path: "/", n: "1" }, { path: "/", sandbox: 3, n: 1 }, {}]) {
    expect(answer(spread, input)).toEqual(answer(eager, input));
  }
  expect(Object.keys(spread.shape)).toEqual(Object.keys(eager.shape));
});

test("a lazy schema looks like a schema to zod and to callers", () => {
  const schema = lazy(() => z.object({ a: z.string() }));
  expect(schema instanceof z.ZodType).toBe(true);
  expect(schema instanceof z.ZodObject).toBe(true);
  expect("_zod" in schema).toBe(true);
  expect(Object.keys(schema.shape)).toEqual(["a"]);
  expect(schema.extend({ b: z.int() }).parse({ a: "x", b: 1 })).toEqual({ a: "x", b: 1 });
  expect(z.toJSONSchema(schema)).toEqual(z.toJSONSchema(z.object({ a: z.string() })));
});

test("every schema of the wire is a working zod schema", () => {
  const exported = { ...protocol, ...sandbox };
  let schemas = 0;
  for (const [name, value] of Object.entries(exported)) {
    if (!value || typeof value !== "object" || !(value instanceof z.ZodType)) continue;
    schemas += 1;
    const result = value.safeParse(Symbol("not wire data"));
    expect({ name, success: result.success }).toEqual({ name, success: false });
  }
  expect(schemas).toBeGreaterThan(80);
});
