import { deepStrictEqual as assertEquals } from "node:assert";
import { GpgError } from "./gpg_error.ts";

Deno.test("GpgError computes value as (source << 24) | code", () => {
  const e = new GpgError("BAD_PIN");
  assertEquals(e.code, 87);
  assertEquals(e.source, 6);
  assertEquals(e.value, 100663383);
  assertEquals(e.text, "Bad PIN");
  assertEquals(e.sourceText, "SCD");
  assertEquals(e.codeName, "BAD_PIN");
  assertEquals(new GpgError("CANCELED", { source: 4 }).value, (4 << 24) | 99);
});

Deno.test("GpgError keeps description and cause", () => {
  const cause = new Error("boom");
  const e = new GpgError("ASS_PARAMETER", { description: "unknown value for WHAT", cause });
  assertEquals(e.description, "unknown value for WHAT");
  assertEquals(e.cause, cause);
  assertEquals(e.message, "IPC parameter error: unknown value for WHAT");
  assertEquals(e instanceof Error, true);
});

Deno.test("GpgError.is() matches by code name", () => {
  assertEquals(GpgError.is(new GpgError("ASS_CANCELED"), "ASS_CANCELED"), true);
  assertEquals(GpgError.is(new GpgError("ASS_CANCELED"), "CANCELED"), false);
  assertEquals(GpgError.is(new Error("x"), "GENERAL"), false);
});
