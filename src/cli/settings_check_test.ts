import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { settingsInEffect } from "./settings_check.ts";

Deno.test("settingsInEffect: the environment wins over the file; bad values are named", () => {
  const file = new Map([["hold", "2s"], ["pin-policy", "lax"], ["busy-timeout", "30s"]]);
  const env = (name: string) => ({ SCD_TS_HOLD: "250ms", SCD_TS_PIN_TTL: "500ms" })[name];
  assertEquals(settingsInEffect(file, env), [
    {
      key: "pin-cache-ttl",
      value: "500ms",
      from: "environment SCD_TS_PIN_TTL",
      invalid: "expected a duration (600, 10m, 1h) or 0, off, none, no",
      fallback: "the daemon turns the PIN cache off",
    },
    {
      key: "pin-policy",
      value: "lax",
      from: "file",
      invalid: "expected strict or session",
      fallback: "the daemon uses the default",
    },
    { key: "busy-timeout", value: "30s", from: "file" },
    { key: "hold", value: "250ms", from: "environment SCD_TS_HOLD" },
  ]);
});

Deno.test("settingsInEffect: pin-cache-ttl off/none/no are valid; -1 says the cache is off", () => {
  const none = () => undefined;
  for (const value of ["0", "off", "none", "no", "10m"]) {
    assertEquals(settingsInEffect(new Map([["pin-cache-ttl", value]]), none), [
      { key: "pin-cache-ttl", value, from: "file" },
    ]);
  }
  const [bad] = settingsInEffect(new Map([["pin-cache-ttl", "-1"]]), none);
  assertEquals(bad?.fallback, "the daemon turns the PIN cache off");
});
