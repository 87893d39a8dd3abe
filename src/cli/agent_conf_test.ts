import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { withoutScdTs, withScdTs } from "./agent_conf.ts";

const SHAPES: Record<string, string | null> = {
  "no file": null,
  "empty": "",
  "lines with a final newline": "default-cache-ttl 600\nenable-ssh-support\n",
  "no final newline": "default-cache-ttl 600\nenable-ssh-support",
  "another scdaemon-program": "scdaemon-program /usr/lib/gnupg/scdaemon\npinentry-program /x\n",
  "blank lines and comments": "\n# mine\n\n  scdaemon-program /opt/scd\n\n",
};

for (const [name, before] of Object.entries(SHAPES)) {
  Deno.test(`install then uninstall restores the exact bytes: ${name}`, () => {
    const installed = withScdTs(before, "/usr/local/bin/scd-ts");
    const active = installed.split("\n").filter((l) => /^\s*scdaemon-program/.test(l));
    assertEquals(active, ["scdaemon-program /usr/local/bin/scd-ts"]);
    assertEquals(withScdTs(installed, "/usr/local/bin/scd-ts"), installed, "idempotent");
    assertEquals(withoutScdTs(installed), { text: before, installed: true });
  });
}

Deno.test("a second install with another path replaces the first", () => {
  const twice = withScdTs(withScdTs("a\n", "/one"), "/two");
  assert(twice.includes("scdaemon-program /two\n"));
  assertEquals(twice.includes("/one"), false);
  assertEquals(withoutScdTs(twice).text, "a\n");
});

Deno.test("uninstall without an install changes nothing", () => {
  assertEquals(withoutScdTs("x\n"), { text: "x\n", installed: false });
});
