import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseLine } from "./command.ts";

Deno.test("parseLine() splits leading options from arguments", () => {
  const p = parseLine("--force --hash=sha256 OPENPGP.1 extra");
  assertEquals([...p.options], [["force", true], ["hash", "sha256"]]);
  assertEquals(p.args, ["OPENPGP.1", "extra"]);
  assertEquals(p.rest, "OPENPGP.1 extra");
});

Deno.test("parseLine() stops at a bare -- and keeps later dashes as arguments", () => {
  const p = parseLine("--info -- --not-an-option");
  assertEquals([...p.options], [["info", true]]);
  assertEquals(p.args, ["--not-an-option"]);
});

Deno.test("parseLine() keeps the first of repeated options and handles blanks", () => {
  const p = parseLine("  --a=1\t--a=2   x  ");
  assertEquals(p.options.get("a"), "1");
  assertEquals(p.args, ["x"]);
  assertEquals(parseLine("").args, []);
});
