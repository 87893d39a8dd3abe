import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseArgs } from "./argv.ts";

Deno.test("parseArgs() reads what gpg-agent passes", () => {
  const a = parseArgs(["--multi-server", "--homedir", "/tmp/h"]);
  assertEquals([a.mode, a.homedir, a.unknown, a.ignored], ["multi-server", "/tmp/h", [], []]);
});

Deno.test("parseArgs() accepts =values, unique prefixes and short flags", () => {
  const a = parseArgs(["--server", "--log-file=/tmp/l", "--deb", "--read", "R0", "-vv", "-q"]);
  assertEquals(a.mode, "server");
  assertEquals(a.logFile, "/tmp/l");
  assertEquals(a.readerPort, "R0");
  assertEquals([a.verbose, a.quiet], [2, true]);
  // "--deb" is ambiguous (debug, debug-all, …): reported, not fatal
  assertEquals(a.unknown, ["--deb"]);
});

Deno.test("parseArgs() reports stock options it ignores and unknown ones", () => {
  const a = parseArgs(["--multi-server", "--pcsc-shared", "--card-timeout", "5", "--frobnicate"]);
  assertEquals(a.ignored, ["--pcsc-shared", "--card-timeout 5"]);
  assertEquals(a.unknown, ["--frobnicate"]);
  assertEquals(parseArgs(["--debug-level", "guru"]).debug, true);
  assertEquals(parseArgs(["--debug-level", "none"]).debug, false);
});

Deno.test("parseArgs() picks the mode like stock", () => {
  assertEquals(parseArgs([]).mode, "none");
  assertEquals(parseArgs(["--daemon"]).mode, "daemon");
  assertEquals(parseArgs(["--server", "--multi-server"]).mode, "multi-server");
  assertEquals(parseArgs(["--multi-server", "--server"]).mode, "multi-server");
  assertEquals(parseArgs(["--version"]).command, "version");
  assertEquals(parseArgs(["-h"]).command, "help");
  assertEquals(parseArgs(["--homedir"]).unknown, ["--homedir"]); // missing value
  assertEquals(parseArgs(["--server", "--", "prog", "x"]).rest, ["prog", "x"]);
});

Deno.test("parseArgs() reads --debug-allow-core-dump as the core-dump switch, not as debug", () => {
  assertEquals(parseArgs(["--server"]).allowCoreDump, false);
  const a = parseArgs(["--server", "--debug-allow-core-dump"]);
  assertEquals([a.allowCoreDump, a.debug, a.ignored, a.unknown], [true, false, [], []]);
});
