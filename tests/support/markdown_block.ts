/**
 * Generated markdown for docs: tables laid out as `deno fmt` lays them out (so a regenerated doc
 * passes `deno fmt --check`), and blocks between marker comments replaced in place.
 * @module
 */

/** A markdown table with every column padded to its widest cell, as `deno fmt` writes it. */
export function markdownTable(header: string[], rows: string[][]): string {
  const clean = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const all = [header, ...rows].map((r) => r.map(clean));
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => [...(r[i] ?? "")].length)));
  const line = (r: string[]) =>
    `| ${
      widths.map((w, i) => (r[i] ?? "") + " ".repeat(w - [...(r[i] ?? "")].length)).join(" | ")
    } |`;
  return [
    line(all[0]!),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...all.slice(1).map(line),
  ].join("\n");
}

/** The marker comments around block `name`. */
export function blockMarkers(name: string): [string, string] {
  return [`<!-- begin ${name} -->`, `<!-- end ${name} -->`];
}

/**
 * `text` with the block `name` (between its markers) replaced by `block`; undefined when `text`
 * has no such block.
 */
export function replaceBlock(text: string, name: string, block: string): string | undefined {
  const [begin, end] = blockMarkers(name);
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from);
  if (from < 0 || to < 0) return undefined;
  return `${text.slice(0, from)}${begin}\n\n${block.trim()}\n\n${text.slice(to)}`;
}
