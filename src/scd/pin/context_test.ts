import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { resolveConfig } from "../config.ts";
import { pinTtlMs } from "./context.ts";

function config(file: Record<string, string>) {
  return resolveConfig({ env: () => undefined, file: new Map(Object.entries(file)) }).config;
}
const none = () => undefined;

Deno.test("pinTtlMs(): SCD_TS_PIN_TTL wins over pin-cache-ttl; default 10 minutes", () => {
  assertEquals(pinTtlMs(config({}), none), 600_000);
  assertEquals(pinTtlMs(config({ "pin-cache-ttl": "90s" }), none), 90_000);
  assertEquals(pinTtlMs(config({ "pin-cache-ttl": "90s" }), () => "0"), 0);
  assertEquals(pinTtlMs(config({}), (n) => (n === "SCD_TS_PIN_TTL" ? "2h" : undefined)), 7_200_000);
});

Deno.test("pinTtlMs(): off, none, no, -1 and junk turn the cache off (fail closed)", () => {
  for (const value of ["0", "off", "OFF", "none", "no", " off ", "-1", "soon", "10 minutes"]) {
    assertEquals(pinTtlMs(config({ "pin-cache-ttl": value }), none), 0, `file: ${value}`);
    assertEquals(pinTtlMs(config({}), () => value), 0, `SCD_TS_PIN_TTL=${value}`);
  }
});
