import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { printable } from "./output.ts";

Deno.test("printable() escapes C0, DEL, C1, bidi overrides and the backslash", () => {
  assertEquals(printable("plain Müller"), "plain Müller");
  assertEquals(
    printable("a\x1b[2Jb\x07\x7f\x9b\u202e\\x1b"),
    "a\\x1b[2Jb\\x07\\x7f\\x9b\\u202e\\\\x1b",
  );
  assertEquals(printable("tab\there\nline"), "tab\\x09here\\x0aline");
});
