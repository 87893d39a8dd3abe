/**
 * READKEY: a public key from the card as a canonical S-expression (gpg/gnupg:scd/command.c
 * `cmd_readkey`; scdaemon-protocol.md §3 READKEY, §6). `--info` also sends the key's
 * KEYPAIRINFO line (the application does), `--info-only` sends only that; `--advanced`
 * (`--format=advanced`) sends libgcrypt's human-readable form, `--format=ssh` (2.4) an OpenSSH
 * public-key line. A keygrip picks the known card holding it (2.4 `card_get`), NO_SECKEY if
 * none does.
 * @module
 */

import { formatSexpAdvanced, parsePublicKey, parseSexp } from "../../formats/mod.ts";
import { cardForKey } from "../key_lookup.ts";
import { type Command, parseLine } from "../command.ts";
import { sshPublicKeyLine } from "../ssh_key.ts";

/** READKEY: a public key as an S-expression. */
export const readkey: Command = {
  name: "READKEY",
  help: [
    "READKEY [--format=advanced|ssh] [--advanced] [--info[-only]] <keyid>|<keygrip>",
    "",
    "Return the public key KEYID (e.g. OPENPGP.1) or KEYGRIP as a canonical",
    "S-expression. --advanced returns the advanced (readable) form, --format=ssh",
    "an OpenSSH public key line; --info also sends  S KEYPAIRINFO ...;",
    "--info-only sends only that line.",
  ].join("\n"),
  async run(ctx, line) {
    const { options, args } = parseLine(line);
    const format = options.get("format");
    const infoOnly = options.has("info-only");
    const keyRef = args[0] ?? "";
    const { app } = await cardForKey(ctx, keyRef, "NO_SECKEY");
    const key = await app.readKey(
      { keyRef, info: infoOnly || options.has("info") },
      ctx.operation(),
    );
    if (infoOnly) return;
    if (format === "ssh") return await ctx.conn.data(sshPublicKeyLine(parsePublicKey(key)));
    const advanced = options.has("advanced") || format === "advanced";
    await ctx.conn.data(advanced ? formatSexpAdvanced(parseSexp(key)) : key);
  },
};
