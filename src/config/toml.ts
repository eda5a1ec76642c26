// Writing TOML back out, for values that Bun's TOML parser produced. Reading is Bun.TOML.parse.
// The layout follows the reference's: a table's plain keys first, then its sub-tables as
// `[a.b]` sections and arrays of tables as `[[a.b]]`, blank lines between sections.

type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const isArrayOfTables = (value: unknown): value is Table[] =>
  Array.isArray(value) && value.length > 0 && value.every(isTable);

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

export function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : tomlString(key);
}

/** A basic string: JSON's escapes are TOML's, except that DEL must be escaped too. */
function tomlString(text: string): string {
  return JSON.stringify(text).replaceAll("\x7f", "\\u007f");
}

function tomlNumber(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Number.POSITIVE_INFINITY) return "inf";
  if (value === Number.NEGATIVE_INFINITY) return "-inf";
  return String(value);
}

export function tomlValue(value: unknown): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "number") return tomlNumber(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  if (isTable(value)) {
    const pairs = Object.entries(value).map(([key, item]) => `${tomlKey(key)} = ${tomlValue(item)}`);
    return pairs.length ? `{ ${pairs.join(", ")} }` : "{}";
  }
  // Dates and times come as Temporal values, whose toString() is the RFC 3339 form TOML uses.
  return String(value);
}

function emit(table: Table, path: string[], sections: string[], header: "table" | "array"): void {
  const plain: string[] = [];
  const tables: [string, Table][] = [];
  const arrays: [string, Table[]][] = [];
  for (const [key, value] of Object.entries(table)) {
    if (isTable(value)) tables.push([key, value]);
    else if (isArrayOfTables(value)) arrays.push([key, value]);
    else plain.push(`${tomlKey(key)} = ${tomlValue(value)}\n`);
  }
  const name = path.map(tomlKey).join(".");
  const needsHeader = header === "array" || plain.length > 0 || (tables.length === 0 && arrays.length === 0);
  if (path.length > 0 && needsHeader)
    sections.push((header === "array" ? `[[${name}]]\n` : `[${name}]\n`) + plain.join(""));
  else if (plain.length > 0) sections.push(plain.join(""));
  for (const [key, value] of tables) emit(value, [...path, key], sections, "table");
  for (const [key, items] of arrays) for (const item of items) emit(item, [...path, key], sections, "array");
}

/** A whole document; `""` for an empty table. */
export function stringifyToml(table: Table): string {
  const sections: string[] = [];
  emit(table, [], sections, "table");
  return sections.join("\n");
}
