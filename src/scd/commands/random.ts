/**
 * RANDOM <nbytes>: random bytes from the card's GET CHALLENGE (gpg/gnupg:scd/command.c
 * `cmd_random`). The count is read like C's `strtoul(s, NULL, 0)` (decimal, 0x hex, 0 octal).
 *
 * Deviation: a count above {@linkcode MAX_RANDOM} is TOO_LARGE before any GET CHALLENGE.
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
    const count = parseCount(line.replace(/^\s*-/, ""));
    // stock checks the card first (open_card), then allocates the buffer: a count of 0 (also
    // what strtoul makes of "abc") fails there with EINVAL, a negative one, which strtoul
    // wraps around to nearly 2^64, with ENOMEM (both seen with stock 2.2.40 and 2.4.7)
    const { app } = await openApp(ctx);
    if (count === 0) throw new GpgError("EINVAL");
    if (/^\s*-/.test(line)) throw new GpgError("ENOMEM");
    if (count > MAX_RANDOM) {
      throw new GpgError("TOO_LARGE", { description: `at most ${MAX_RANDOM} bytes` });
    }
    await ctx.conn.data(await app.random(count, ctx.operation()));
  },
};
