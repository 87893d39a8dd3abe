/**
 * docs/cards.md's "Profile facts" and "Capabilities" tables are what the cards say: every
 * profile's ATR, historical bytes, C0, 7F66, C4 and 7F74, decoded by the daemon's own parsers
 * (tests/integration/_profile_facts.ts), and its capability record.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { PROFILES } from "../../src/virtual/profiles/mod.ts";
import { capabilitiesRow, CAPABILITY_COLUMNS, FACT_COLUMNS, factsRow } from "./_profile_facts.ts";

const DOC = new URL("../../docs/cards.md", import.meta.url);

/** The first Markdown table after `## heading`: rows of trimmed cells (separator dropped). */
function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`docs/cards.md has no "## ${heading}" section`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("## ")) break;
    if (!line.startsWith("|")) {
      if (rows.length > 0) break;
      continue;
    }
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    rows.push(cells);
  }
  return rows;
}

const markdown = await Deno.readTextFile(DOC);

Deno.test("docs/cards.md's profile facts are what each profile's card announces", async () => {
  const [header, ...rows] = tableAfter(markdown, "Profile facts");
  assertEquals(header, [...FACT_COLUMNS]);
  assertEquals(rows.map((r) => r[0]), Object.keys(PROFILES));
  for (const row of rows) assertEquals(row, await factsRow(row[0]!), row[0]);
});

Deno.test("docs/cards.md's capabilities table is each profile's capability record", () => {
  const [header, ...rows] = tableAfter(markdown, "Capabilities");
  assertEquals(header, [...CAPABILITY_COLUMNS]);
  assertEquals(rows.map((r) => r[0]), Object.keys(PROFILES));
  for (const row of rows) assertEquals(row, capabilitiesRow(row[0]!), row[0]);
});

Deno.test("docs/cards.md leaves the per-profile workflow section for the e2e matrix", () => {
  assertEquals(markdown.includes("\n## Workflows per profile\n"), true);
});
