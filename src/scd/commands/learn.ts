/**
 * LEARN: everything gpg --card-status shows, as status lines (gpg/gnupg:scd/command.c
 * `cmd_learn`; scdaemon-protocol.md §4). The command layer sends READER and SERIALNO and,
 * without `--force`, asks the client `INQUIRE KNOWNCARDP <serial>` (CAN stops); the
 * application sends the rest.
 * @module
 */

import { type Command, openApp, parseLine } from "../command.ts";
import { readerStatus, sendStatus, serialNoStatus } from "../status.ts";

/** LEARN: the card-status lines. */
export const learn: Command = {
  name: "LEARN",
  help: [
    "LEARN [--force] [--keypairinfo] [--reread] [--multi]",
    "",
    "Send what is known about the card as status lines: READER, SERIALNO,",
    "APPTYPE, EXTCAP, MANUFACTURER, DISP-NAME, KEY-FPR, CHV-STATUS,",
    "SIG-COUNTER, KEYPAIRINFO and more (see gnupg's doc/DETAILS).",
    "Without --force the client is asked first:  INQUIRE KNOWNCARDP <serialno>",
    "(END goes on, CAN stops). --keypairinfo sends only KEYPAIRINFO lines.",
  ].join("\n"),
  async run(ctx, line) {
    const { options } = parseLine(line);
    const { card, app } = await openApp(ctx);
    const keyPairInfoOnly = options.has("keypairinfo");
    if (!keyPairInfoOnly) {
      await sendStatus(ctx.conn, readerStatus(card.reader));
      await sendStatus(ctx.conn, serialNoStatus(card.serialNo));
      if (!options.has("force")) {
        await ctx.conn.inquire("KNOWNCARDP", card.serialNo, { noData: true });
      }
    }
    await app.learn({ keyPairInfoOnly, force: options.has("force") }, ctx.operation());
  },
};
