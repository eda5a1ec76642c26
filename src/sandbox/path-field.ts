// A path field of the sandbox context: a plain absolute path (0.125) or a file:// URI (0.169+).
// Stand-in until the wire's own path codec decodes every path field (it replaces this at merge).
import { InvalidParams } from "../errors.ts";
import { absolutePath } from "../fs/path.ts";

export function decodePathField(text: string, field: string): string {
  if (!text.startsWith("file:")) return absolutePath(text, field);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidParams(`${field}: invalid URI ${text}`);
  }
  if (url.host !== "" && url.host !== "localhost")
    throw new InvalidParams(`${field}: ${text} is not a local path`);
  if (url.search !== "") throw new InvalidParams("query parameters are not allowed in path URIs");
  if (url.hash !== "") throw new InvalidParams("fragments are not allowed in path URIs");
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new InvalidParams(`${field}: invalid percent-encoding in ${text}`);
  }
  return absolutePath(path, field);
}
