/**
 * KEYINFO (gnupg 2.4): which known card holds a key, by keygrip (gpg/gnupg:scd/command.c
 * `cmd_keyinfo`, `send_keyinfo`; scdaemon-protocol.md §3 KEYINFO). Like stock it looks only
 * at cards already known (gpg-agent sends `SERIALNO --all` first) and does not open one.
 * Lines: `S KEYINFO <GRIP> T <serialno> <keyref> <usage>`; with `--data` the same text as D
 * lines ending in LF. An unknown grip is NOT_FOUND; a `--list` with no keys is OK.
 * @module
 */

import type { KeyInfo } from "../../app/mod.ts";
import { GpgError } from "../../gpg_error/mod.ts";
import { type Command, parseLine } from "../command.ts";
import { keyInfoStatus, keyInfoText, sendStatus } from "../status.ts";

/** `--list=sign|encr|auth` → which keys qualify (stock: the OpenPGP slot of that usage). */
const LIST_FILTERS: Record<string, (k: KeyInfo) => boolean> = {
  sign: (k) => k.usage === "sc",
  encr: (k) => k.usage.includes("e"),
  auth: (k) => k.usage.includes("a"),
};

/** KEYINFO: which known card holds a key (2.4). */
export const keyinfo: Command = {
  name: "KEYINFO",
  help: [
    "KEYINFO [--list[=auth|encr|sign]] [--data] <keygrip>",
    "",
    "Tell which card holds the key KEYGRIP:",
    "  S KEYINFO <keygrip> T <serialno> <idstr> <usage>",
    "--list reports every key of the known cards (or those of one usage);",
    "--data sends the lines as data instead of status.",
  ].join("\n"),
  async run(ctx, line) {
    const { options, args } = parseLine(line);
    const list = options.get("list");
    const filter = typeof list === "string" ? LIST_FILTERS[list] : undefined;
    if (typeof list === "string" && !filter) throw new GpgError("INV_VALUE");
    const grip = list === undefined ? (args[0] ?? "").toUpperCase() : undefined;
    let found = false;
    for (const card of ctx.cards.cards) {
      if (!card.app) continue;
      for (const key of await card.app.listKeys(ctx.operation())) {
        if (grip !== undefined ? key.keygrip !== grip : filter && !filter(key)) continue;
        const fields = { ...key, serialNo: card.serialNo };
        if (options.has("data")) await ctx.conn.data(keyInfoText(fields) + "\n");
        else await sendStatus(ctx.conn, keyInfoStatus(fields));
        found = true;
        if (grip !== undefined) return;
      }
    }
    if (grip !== undefined && !found) throw new GpgError("NOT_FOUND");
  },
};
