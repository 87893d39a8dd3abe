import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { markdownTable, replaceBlock } from "./markdown_block.ts";

Deno.test("markdownTable pads columns as deno fmt does and escapes pipes", () => {
  assertEquals(
    markdownTable(["flow", "a"], [["x", "long cell"], ["`a|b`", ""]]),
    [
      "| flow   | a         |",
      "| ------ | --------- |",
      "| x      | long cell |",
      "| `a\\|b` |           |",
    ].join("\n"),
  );
});

Deno.test("replaceBlock replaces only between the markers of its name", () => {
  const doc = "a\n<!-- begin t 2.2 -->\nold\n<!-- end t 2.2 -->\n<!-- begin t 2.4 -->\nx\n" +
    "<!-- end t 2.4 -->\n";
  assertEquals(
    replaceBlock(doc, "t 2.2", "new\n"),
    "a\n<!-- begin t 2.2 -->\n\nnew\n\n<!-- end t 2.2 -->\n<!-- begin t 2.4 -->\nx\n" +
      "<!-- end t 2.4 -->\n",
  );
  assertEquals(replaceBlock(doc, "t 2.4.9", "new"), undefined);
});
