/**
 * RANDOM <nbytes>: random bytes from the card's GET CHALLENGE (gpg/gnupg:scd/command.c
 * `cmd_random`). The count is read like C's `strtoul(s, NULL, 0)` (decimal, 0x hex, 0 octal).
 * @module
 */

import { type Command, openApp, parameterError } from "../command.ts";

/** `strtoul(text, NULL, 0)`: leading number in base 10, 16 (0x) or 8 (0); 0 if none. */
export function parseCount(text: string): number {
  const m = /^\s*(?:(0[xX][0-9A-Fa-f]+)|(0[0-7]*)|([1-9][0-9]*))/.exec(text);
  if (!m) return 0;
  if (m[1]) return parseInt(m[1].slice(2), 16);
  if (m[2]) return parseInt(m[2], 8);
  return parseInt(m[3]!, 10);
}

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
