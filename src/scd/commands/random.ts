/**
 * RANDOM <nbytes>: random bytes from the card's GET CHALLENGE (gpg/gnupg:scd/command.c
 * `cmd_random`). The count is read like C's `strtoul(s, NULL, 0)` (decimal, 0x hex, 0 octal).
 *
 * Deviation: a count above {@linkcode MAX_RANDOM} is TOO_LARGE before the card is touched.
 * Stock allocates whatever was asked and asks the card 254 bytes at a time, so `RANDOM
 * 4294967296` (found by tests/fuzz) held the card for 17 million GET CHALLENGEs — every
 * other PC/SC client locked out — and a count past 2^53 threw a RangeError (GENERAL).
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { type Command, openApp, parameterError, parseCount } from "../command.ts";

/** Most bytes one RANDOM returns (259 GET CHALLENGEs of at most 254 bytes). */
export const MAX_RANDOM = 65536;

/** RANDOM: bytes from GET CHALLENGE. */
export const random: Command = {
  name: "RANDOM",
  help: [
    "RANDOM <nbytes>",
    "",
    "Return NBYTES random bytes from the card's random number generator as data.",
  ].join("\n"),
  async run(ctx, line) {
    if (line === "") throw parameterError("number of requested bytes missing");
    const count = parseCount(line);
    if (count > MAX_RANDOM) {
      throw new GpgError("TOO_LARGE", { description: `at most ${MAX_RANDOM} bytes` });
    }
    const { app } = await openApp(ctx);
    await ctx.conn.data(await app.random(count, ctx.operation()));
  },
};
