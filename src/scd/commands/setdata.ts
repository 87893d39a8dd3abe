/**
 * SETDATA [--append] <hexstring>: the input of the next PKSIGN, PKAUTH or PKDECRYPT
 * (gpg/gnupg:scd/command.c `cmd_setdata`; scdaemon-protocol.md §3 SETDATA). gpg-agent sends
 * a decryption's ciphertext in chunks with `--append`; the total is capped at 4096 bytes.
 * The buffer stays until replaced (PKSIGN does not consume it).
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { checkNotLocked, type Command, parameterError, parseLine } from "../command.ts";
import { MAX_SETDATA } from "../state.ts";

/** Decode SETDATA's hex like stock: only hex digits, at least one byte, even length. */
export function parseSetDataHex(text: string): Uint8Array {
  const digits = /^[0-9A-Fa-f]*/.exec(text)![0];
  if (digits.length !== text.length) throw parameterError("invalid hexstring");
  if (digits.length === 0) throw parameterError("no data given");
  if (digits.length % 2 === 1) throw parameterError("odd number of digits");
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export const setdata: Command = {
  name: "SETDATA",
  help: [
    "SETDATA [--append] <hexstring>",
    "",
    "The data to sign, authenticate or decrypt with the next PKSIGN, PKAUTH",
    "or PKDECRYPT.  --append adds to the data of a previous SETDATA",
    `(at most ${MAX_SETDATA} bytes in total).`,
  ].join("\n"),
  run(ctx, line) {
    const { options, rest } = parseLine(line);
    // stock honours --append only when there is data to append to
    const append = ctx.state.setData !== undefined && options.get("append") === true;
    checkNotLocked(ctx);
    const bytes = parseSetDataHex(rest);
    try {
      if (!ctx.state.putSetData(bytes, append)) {
        throw new GpgError("TOO_LARGE", { description: "limit on total size of data reached" });
      }
    } finally {
      bytes.fill(0);
    }
    return Promise.resolve();
  },
};
