/**
 * PKSIGN [--hash=ALGO] <keyid>: sign the SETDATA buffer (gpg/gnupg:scd/command.c
 * `cmd_pksign`, scd/app-openpgp.c `do_sign`; scdaemon-protocol.md §3 PKSIGN). gpg-agent
 * sends a DigestInfo and the keygrip; the application strips or keeps the prefix per key
 * type, redirects the authentication key's grip to INTERNAL AUTHENTICATE, and asks for the
 * user PIN. The reply is the raw signature as data.
 * @module
 */

import { HASH_ALGOS, type HashAlgo } from "../../formats/mod.ts";
import { GpgError } from "../../gpg_error/mod.ts";
import { cardForKey } from "../key_lookup.ts";
import { type Command, parameterError } from "../command.ts";
import { cardOperation } from "../pin/mod.ts";

/** The leading `--` tokens of a command line and the text after them (`skip_options`). */
export function optionTokens(line: string): { tokens: string[]; rest: string } {
  const tokens: string[] = [];
  let rest = line.replace(/^[ \t]+/, "");
  for (let m; (m = /^(--\S*)[ \t]*/.exec(rest));) {
    tokens.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  return { tokens, rest };
}

/**
 * The `--hash=` of a PKSIGN line as stock reads it: the names in stock's order, SHA-1 when
 * the line has no `--` at all, any other option is "invalid hash algorithm".
 */
export function parsePksignHash(line: string): HashAlgo {
  const { tokens } = optionTokens(line);
  for (const h of HASH_ALGOS) if (tokens.includes(`--hash=${h}`)) return h;
  if (!line.includes("--")) return "sha1";
  throw parameterError("invalid hash algorithm");
}

export const pksign: Command = {
  name: "PKSIGN",
  help: [
    "PKSIGN [--hash=[rmd160|sha{1,224,256,384,512}|md5|none]] <hexified_id>",
    "",
    "Sign the data given with SETDATA with the key KEYID (OPENPGP.1, a",
    "keygrip, or the card's serial number).  The --hash option is optional;",
    "the default is SHA1.",
  ].join("\n"),
  async run(ctx, line) {
    const hash = parsePksignHash(line);
    const keyRef = optionTokens(line).rest;
    const target = await cardForKey(ctx, keyRef, "NO_SECKEY");
    const data = ctx.state.setData;
    if (!data || data.length === 0 || keyRef === "") throw new GpgError("INV_VALUE");
    let signature: Uint8Array;
    {
      await using op = cardOperation(ctx, target.card);
      signature = await target.app.sign({ keyRef, hash, data }, op.ctx);
    }
    await ctx.conn.data(signature);
  },
};
