import { deepStrictEqual as assertEquals } from "node:assert";
import {
  GPG_ERR,
  GPG_ERR_SOURCE_SCD,
  gpgErrorName,
  gpgErrorValue,
  gpgStrerror,
  gpgStrsource,
} from "./codes.ts";

Deno.test("GPG_ERR has the libgpg-error numbers for system errors", () => {
  assertEquals(GPG_ERR.ENODEV, 32848);
  assertEquals(GPG_ERR.ENOENT, 32849);
  assertEquals(GPG_ERR.EACCES, 32769);
  assertEquals(GPG_ERR.EEXIST, 32803);
  assertEquals(GPG_ERR.EIO, 32817);
  assertEquals(GPG_ERR.EBUSY, 32787);
});

Deno.test("gpgErrorValue() matches ERR numbers observed from stock scdaemon", () => {
  // scdaemon-protocol.md §2.6 [observed] lines.
  const cases: [keyof typeof GPG_ERR, number][] = [
    ["NO_DATA", 100663354],
    ["ASS_PARAMETER", 100663576],
    ["ASS_UNKNOWN_CMD", 100663571],
    ["ENODEV", 100696144],
    ["NOT_IMPLEMENTED", 100663365],
    ["NOT_LOCKED", 100663463],
    ["GENERAL", 100663297],
    ["ASS_SYNTAX", 100663572],
    ["UNKNOWN_COMMAND", 100663471],
    ["NOT_FOUND", 100663323],
    ["NO_RESET_CODE", 100663617],
    ["BAD_RESET_CODE", 100663618],
  ];
  for (const [name, value] of cases) {
    assertEquals(gpgErrorValue(GPG_ERR_SOURCE_SCD, GPG_ERR[name]), value, name);
  }
  assertEquals(gpgErrorValue(GPG_ERR_SOURCE_SCD, 0), 0);
});

Deno.test("gpgStrerror() returns the exact libgpg-error texts", () => {
  const cases: [keyof typeof GPG_ERR, string][] = [
    ["NO_DATA", "No data"],
    ["ASS_PARAMETER", "IPC parameter error"],
    ["ASS_UNKNOWN_CMD", "Unknown IPC command"],
    ["ENODEV", "No such device"],
    ["CARD_REMOVED", "Card removed"],
    ["BAD_PIN", "Bad PIN"],
    ["PIN_BLOCKED", "PIN blocked"],
    ["USE_CONDITIONS", "Conditions of use not satisfied"],
    ["TOO_LARGE", "Provided object is too large"],
    ["ASS_LINE_TOO_LONG", "Line passed to IPC too long"],
    ["OBJ_TERM_STATE", "Object is in termination state"],
    ["ASS_CANCELED", "IPC call has been cancelled"],
    ["ASS_TOO_MUCH_DATA", "Too much data for IPC layer"],
    ["CANCELED", "Operation cancelled"],
    ["EIO", "Input/output error"],
    ["EBUSY", "Device or resource busy"],
    ["EEXIST", "File exists"],
    ["EACCES", "Permission denied"],
    ["ENOENT", "No such file or directory"],
    ["EOF", "End of file"],
  ];
  for (const [name, text] of cases) assertEquals(gpgStrerror(GPG_ERR[name]), text, name);
  assertEquals(gpgStrerror(4242), "Unknown error code");
  assertEquals(gpgStrerror(0), "Success");
});

Deno.test("gpgStrsource() names SCD and unknown sources", () => {
  assertEquals(gpgStrsource(6), "SCD");
  assertEquals(gpgStrsource(4), "GPG Agent");
  assertEquals(gpgStrsource(100), "Unknown source");
});

Deno.test("GPG_ERR numbers are unique and round-trip through gpgErrorName()", () => {
  const seen = new Set<number>();
  for (const [name, code] of Object.entries(GPG_ERR)) {
    assertEquals(seen.has(code), false, `duplicate code ${code}`);
    seen.add(code);
    assertEquals(gpgErrorName(code), name);
  }
});
