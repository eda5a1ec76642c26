// JSON.parse for frames that carry one very long string (the base64 of fs/writeFile or of a large
// process/write). JSON.parse scans and copies every character of every string: 0.56 ms for the
// frame of a 1 MiB fs/writeFile. Here the long string is found with a few native searches (~0.2
// ms), kept as a slice of the frame (no copy), and only the JSON around it is parsed. Anything
// unusual (an escape or a control character inside the long string, no long string at all) takes
// plain JSON.parse, so the result is always exactly JSON.parse's.

/** Frames shorter than this are parsed as they are. */
const LIFT_FRAMES_FROM = 64 * 1024;
/** A string this long, without escapes, is lifted out before parsing. */
const LONG_STRING = 32 * 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what JSON forbids in a string
const CONTROL = /[\u0000-\u001f]/;

/** Stands for the lifted string in the text that is parsed; random, so no frame holds it. */
const PLACEHOLDER = `lifted-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;

export function parseJson(text: string): unknown {
  if (text.length < LIFT_FRAMES_FROM) return JSON.parse(text);
  const span = longString(text);
  if (!span) return JSON.parse(text);
  const [start, end] = span;
  const long = text.slice(start, end);
  let isPlaced = false;
  const value = JSON.parse(`${text.slice(0, start)}${PLACEHOLDER}${text.slice(end)}`, (_key, v) => {
    if (v !== PLACEHOLDER) return v;
    isPlaced = true;
    return long;
  });
  // The placeholder sat where a key is, say: the plain parse decides what that text means.
  return isPlaced ? value : JSON.parse(text);
}

/** The content of the first string value at least LONG_STRING long with no escape in it. */
function longString(text: string): [start: number, end: number] | null {
  let open = -1;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) {
    if (open < 0) {
      open = i;
      continue;
    }
    if (text.charCodeAt(i - 1) === 0x5c) {
      // An escape inside this string: if it is the long one, JSON.parse must read it.
      if (i - open > LONG_STRING) return null;
      let backslashes = 1;
      while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 1) continue;
    }
    if (i - open > LONG_STRING) {
      // Its text is its value only without escapes and without control characters (which JSON
      // does not allow in strings: JSON.parse must refuse the frame then).
      const backslash = text.indexOf("\\", open + 1);
      if (backslash !== -1 && backslash < i) return null;
      return CONTROL.test(text.slice(open + 1, i)) ? null : [open + 1, i];
    }
    open = -1;
  }
  return null;
}
