import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { resolveConfig } from "./config.ts";
import { pinTtlMs } from "./operation.ts";

Deno.test("pinTtlMs(): SCD_TS_PIN_TTL wins over pin-cache-ttl; default 10 minutes; junk is the default", () => {
  const config = (file: Record<string, string>) =>
    resolveConfig({ env: () => undefined, file: new Map(Object.entries(file)) }).config;
  const none = () => undefined;
  assertEquals(pinTtlMs(config({}), none), 600_000);
  assertEquals(pinTtlMs(config({ "pin-cache-ttl": "90s" }), none), 90_000);
  assertEquals(pinTtlMs(config({ "pin-cache-ttl": "90s" }), () => "0"), 0);
  assertEquals(pinTtlMs(config({}), (n) => (n === "SCD_TS_PIN_TTL" ? "2h" : undefined)), 7_200_000);
  assertEquals(pinTtlMs(config({ "pin-cache-ttl": "soon" }), none), 600_000);
});
