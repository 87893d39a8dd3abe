/**
 * READKEY: a public key from the card as a canonical S-expression (gpg/gnupg:scd/command.c
 * `cmd_readkey`; scdaemon-protocol.md §3 READKEY, §6). `--info` also sends the key's
 * KEYPAIRINFO line (the application does), `--info-only` sends only that; `--advanced`
 * (`--format=advanced`) sends libgcrypt's human-readable form.
 * @module
 */

import { formatSexpAdvanced, parseSexp } from "../../formats/mod.ts";
import { GpgError } from "../../gpg_error/mod.ts";
import { type Command, openApp, parseLine } from "../command.ts";

/** READKEY: a public key as an S-expression. */
export const readkey: Command = {
  name: "READKEY",
  help: [
    "READKEY [--format=advanced] [--advanced] [--info[-only]] <keyid>|<keygrip>",
    "",
    "Return the public key KEYID (e.g. OPENPGP.1) or KEYGRIP as a canonical",
    "S-expression. --advanced returns the advanced (readable) form; --info also",
    "sends  S KEYPAIRINFO ...;  --info-only sends only that line.",
  ].join("\n"),
  async run(ctx, line) {
    const { app } = await openApp(ctx);
    const { options, args } = parseLine(line);
    const format = options.get("format");
    if (format === "ssh") throw new GpgError("NOT_SUPPORTED", { description: "--format=ssh" });
    const infoOnly = options.has("info-only");
    const keyRef = args[0] ?? "";
    const key = await app.readKey(
      { keyRef, info: infoOnly || options.has("info") },
      ctx.operation(),
    );
    if (infoOnly) return;
    const advanced = options.has("advanced") || format === "advanced";
    await ctx.conn.data(advanced ? formatSexpAdvanced(parseSexp(key)) : key);
  },
};
