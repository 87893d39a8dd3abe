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

/** Prints `value` as indented JSON. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** A user error: printed as `scd-ts: message` without a stack, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
