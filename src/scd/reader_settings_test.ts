import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { resolveConfig } from "./config.ts";
import { burstHold, readerSetting } from "./reader_settings.ts";

/** The config of `file` lines and `env` variables (nothing else set). */
function config(file: Record<string, string>, env: Record<string, string> = {}) {
  const lookup = (name: string) => env[name];
  const resolved = resolveConfig({ env: lookup, file: new Map(Object.entries(file)) }).config;
  return { config: resolved, env: lookup };
}

Deno.test("burstHold() by default: hold 500 ms, capped at 2 s and 16 operations", () => {
  const c = config({});
  assertEquals(burstHold(c.config, c.env), {
    holdMs: 500,
    holdMaxMs: 2000,
    holdMaxOps: 16,
    off: undefined,
  });
});

Deno.test("burstHold() reads hold-max from scd-ts.conf and SCD_TS_HOLD_MAX, the environment winning", () => {
  const file = config({ "hold-max": "5s" });
  assertEquals(burstHold(file.config, file.env).holdMaxMs, 5000);
  const both = config({ "hold-max": "5s" }, { SCD_TS_HOLD_MAX: "750ms" });
  assertEquals(readerSetting(both.config, "hold-max"), 750);
  assertEquals(burstHold(both.config, both.env).holdMaxMs, 750);
});

Deno.test("burstHold() is off when pin-cache-ttl is 0: every operation asks for its PIN", () => {
  for (const c of [config({ "pin-cache-ttl": "0" }), config({}, { SCD_TS_PIN_TTL: "0" })]) {
    const hold = burstHold(c.config, c.env);
    assertEquals(hold.holdMs, 0);
    assertEquals(hold.off, "pin-cache-ttl is 0 (every operation asks for the PIN)");
  }
  const cached = config({ "pin-cache-ttl": "10m" });
  assertEquals(burstHold(cached.config, cached.env).holdMs, 500);
});

Deno.test("burstHold() is off with hold 0 or hold-max 0", () => {
  assertEquals(burstHold(config({ hold: "0" }).config, () => undefined).off, "hold is 0");
  const noMax = burstHold(config({ "hold-max": "0" }).config, () => undefined);
  assertEquals([noMax.holdMs, noMax.off], [0, "hold-max is 0"]);
});
