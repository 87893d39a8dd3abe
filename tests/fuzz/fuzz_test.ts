/**
 * `deno task fuzz`: the Assuan fuzzer and the card-response fuzzer, seeded and replayable
 * (SCD_TS_FUZZ_SEED, SCD_TS_FUZZ_COUNT, SCD_TS_FUZZ_CASE; see _setup.ts). Each prints its
 * totals; a test fails when any of its cases failed. docs/reliability.md, "Fuzzing".
 */
import { assuanFuzzer } from "./assuan_fuzz.ts";
import { cardFuzzer } from "./card_fuzz.ts";
import { runFuzzer } from "./_runner.ts";
import type { Fuzzer } from "./_setup.ts";

async function fuzz(fuzzer: Fuzzer): Promise<void> {
  const tally = await runFuzzer(fuzzer);
  if (tally.failedCases > 0) {
    throw new Error(`${tally.failedCases} of ${tally.cases} ${fuzzer.title} cases failed`);
  }
}

Deno.test("fuzz: malformed Assuan input gets sensible replies and leaves the daemon serving", () =>
  fuzz(assuanFuzzer));

Deno.test("fuzz: malformed card responses get sensible replies and leave the daemon serving", () =>
  fuzz(cardFuzzer));
