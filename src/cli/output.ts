/**
 * Output of the user commands: JSON with `--json`, otherwise text; aligned tables and colour
 * only when stdout is a terminal (and NO_COLOR is unset), so pipes and logs get plain lines.
 * @module
 */

/** Whether stdout is a terminal. */
export function isTty(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

function colourOn(): boolean {
  let noColor = false;
  try {
    noColor = Deno.env.get("NO_COLOR") !== undefined;
  } catch { /* no env permission: no colour */ }
  return isTty() && !noColor;
}

const CODES = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1 } as const;

/** `text` in a colour when stdout is a colourful terminal. */
export function paint(colour: keyof typeof CODES, text: string): string {
  return colourOn() ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

/**
 * Rows as text: on a TTY columns are padded to line up; otherwise cells are joined by a tab,
 * which `cut -f` and `awk -F'\t'` read.
 */
export function table(rows: readonly (readonly string[])[]): string {
  if (!isTty()) return rows.map((r) => r.join("\t")).join("\n");
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, [...cell].length));
  }
  return rows.map((r) =>
    r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i]!)).join("  ")
  ).join("\n");
}

/**
 * Characters a terminal acts on instead of showing: C0 (ESC among them), DEL and C1 (U+009B
 * is a one-byte CSI), and the bidi overrides and isolates that reorder what follows.
 */
// deno-lint-ignore no-control-regex
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\\]/g;

/**
 * `text` safe to print on a terminal: what {@linkcode UNPRINTABLE} matches is shown escaped
 * (`\x1b`, `\u202e`), and a backslash as `\\` so an escape cannot be faked. Strings from a
 * card (holder name, URL, login) are chosen by whoever wrote the card; printed raw they could
 * move the cursor, rewrite earlier lines or set the window title.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    if (c === "\\") return "\\\\";
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Prints `value` as indented JSON. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** A user error: printed as `scd-ts: message` without a stack, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
