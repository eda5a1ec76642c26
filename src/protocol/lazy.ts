// The wire's schemas are built at their first use, not when the protocol loads: building all of
// them costs more than the rest of a start, and a connection uses a few methods (bench/RESULTS.md).
// This is the one place that departs from building a schema where it is declared;
// test/unit/lazy.test.ts holds a lazy schema to the one its builder makes.

/**
 * Stands for `build()`'s value, which is made at the first touch of any of its properties and
 * kept. Every operation is passed to that value (with it as the receiver, so its getters see
 * themselves), which is all zod needs: it reaches a schema only through its properties, its
 * `instanceof` reads `_zod`, and a schema made from this one (`.optional()`, a field of an object)
 * holds the built value, not the stand-in.
 */
export function lazy<T extends object>(build: () => T): T {
  let built: T | undefined;
  const value = (): T => {
    built ??= build();
    return built;
  };
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(value(), key),
    set: (_, key, next) => Reflect.set(value(), key, next),
    has: (_, key) => Reflect.has(value(), key),
    deleteProperty: (_, key) => Reflect.deleteProperty(value(), key),
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(value(), key, descriptor),
    ownKeys: () => Reflect.ownKeys(value()),
    // A proxy may report a property as non-configurable only if its own target has it so; the
    // stand-in's target is empty, so every property is reported configurable.
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(value(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(value()),
  });
}
