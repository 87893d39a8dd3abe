import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { shellQuote, withoutScdTs, withScdTs, wrapperScript } from "./agent_conf.ts";

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

Deno.test("withScdTs() refuses a program path with a line break (it would add options)", () => {
  assertThrows(() => withScdTs("", "/tmp/x\npinentry-program /tmp/evil"), /line break/);
});

Deno.test("shellQuote() makes one sh word of spaces, quotes, $ and backquotes", () => {
  assertEquals(shellQuote("/opt/deno"), "'/opt/deno'");
  assertEquals(shellQuote("/home/o'neil/my dir/$(x)`y`"), "'/home/o'\\''neil/my dir/$(x)`y`'");
});

Deno.test("wrapperScript() quotes every word of the command", () => {
  assertEquals(
    wrapperScript(["/usr/bin/deno", "run", "/home/o'neil/scd ts/main.ts"], {
      comment: "by install",
      lines: ["unset X"],
    }),
    "#!/bin/sh\n# by install\nunset X\n" +
      "exec '/usr/bin/deno' 'run' '/home/o'\\''neil/scd ts/main.ts' \"$@\"\n",
  );
});
