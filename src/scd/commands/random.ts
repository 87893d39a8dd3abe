/**
 * RANDOM <nbytes>: random bytes from the card's GET CHALLENGE (gpg/gnupg:scd/command.c
 * `cmd_random`). The count is read like C's `strtoul(s, NULL, 0)` (decimal, 0x hex, 0 octal).
 * @module
 */

import { type Command, openApp, parameterError, parseCount } from "../command.ts";

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
    const { app } = await openApp(ctx);
    await ctx.conn.data(await app.random(count, ctx.operation()));
  },
};
