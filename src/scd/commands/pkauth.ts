/**
 * PKAUTH [--challenge-response] <keyid>: INTERNAL AUTHENTICATE over the SETDATA buffer with
 * the authentication key (gpg/gnupg:scd/command.c `cmd_pkauth`, scd/app-openpgp.c
 * `do_auth`). 2.4's `--challenge-response` drops the buffer, lets the card sign a random
 * challenge, checks the answer and sends no data.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { cardForKey } from "../key_lookup.ts";
import type { Command } from "../command.ts";
import { cardOperation } from "../pin/mod.ts";
import { optionTokens } from "./pksign.ts";

export const pkauth: Command = {
  name: "PKAUTH",
  help: [
    "PKAUTH [--challenge-response] <hexified_id>",
    "",
    "Authenticate with the key KEYID (OPENPGP.3 or its keygrip): the card",
    "signs the data given with SETDATA.  --challenge-response signs a random",
    "challenge instead and only reports success.",
  ].join("\n"),
  async run(ctx, line) {
    const { tokens, rest: keyRef } = optionTokens(line);
    const target = await cardForKey(ctx, keyRef, "UNSUPPORTED_OPERATION");
    const challengeResponse = tokens.includes("--challenge-response");
    if (challengeResponse) ctx.state.clearSetData();
    const data = ctx.state.setData ?? new Uint8Array(0);
    if (keyRef === "") throw new GpgError("INV_VALUE"); // do_auth
    let signature: Uint8Array;
    {
      await using op = cardOperation(ctx, target.card);
      signature = await target.app.auth({ keyRef, data }, op.ctx);
    }
    if (!challengeResponse) await ctx.conn.data(signature);
  },
};
