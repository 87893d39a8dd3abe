/**
 * GENKEY [--force] [--timestamp=<isodate>] [--algo=ALGO] <keyref>: generate a key on the
 * card (gpg --card-edit `generate`; gpg/gnupg:scd/command.c `cmd_genkey`,
 * scd/app-openpgp.c `do_genkey`). The application sends `S KEY-CREATED-AT`, the
 * `S KEY-DATA` lines and `S KEY-FPR` in stock's order and writes fingerprint and time to
 * the card. Needs the Admin PIN.
 * @module
 */

import { type Command, openApp, parameterError } from "../command.ts";
import { cardOperation } from "../pin/mod.ts";
import { optionTokens } from "./pksign.ts";

/**
 * gnupg's `isotime2epoch`: `yyyymmddThhmmss[Z]` ending at the end, a blank, `:` or `,`,
 * year ≥ 1970; out-of-range days and seconds roll over like `timegm`. −1 when invalid.
 */
export function isoTimeToEpoch(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z?(?:$|[\s:,])/.exec(text);
  if (!m) return -1;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  if (
    year! < 1970 || month! < 1 || month! > 12 || day! < 1 || day! > 31 || hour! > 23 ||
    minute! > 59 || second! > 61
  ) {
    return -1;
  }
  return Date.UTC(year!, month! - 1, day!, hour!, minute!, second!) / 1000;
}

/** The value after `--name` anywhere on the line (`has_option_name`): "=…", "" or undefined. */
function optionNameValue(line: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[ \\t])${name}(=\\S*|(?=[ \\t]|$))`).exec(line);
  return m ? m[1] : undefined;
}

export const genkey: Command = {
  name: "GENKEY",
  help: [
    "GENKEY [--force] [--timestamp=<isodate>] [--algo=ALGO] <keyref>",
    "",
    "Generate a key on the card in slot KEYREF (1, 2, 3 or OPENPGP.n) and send",
    "  S KEY-CREATED-AT <seconds>,  S KEY-DATA ...  and  S KEY-FPR <hex>.",
    "--force is needed to replace an existing key; --timestamp (yyyymmddThhmmss)",
    "sets the creation time that goes into the fingerprint.",
    "On a PKCS#11 token (KEYREF P11.<hex id>) without --force: send the existing",
    "key's KEY-CREATED-AT and KEY-DATA; with --force: C_GenerateKeyPair (no KEY-FPR).",
  ].join("\n"),
  async run(ctx, line) {
    const { tokens, rest } = optionTokens(line);
    let timestamp: number | undefined;
    const ts = optionNameValue(line, "--timestamp");
    if (ts !== undefined) {
      if (!ts.startsWith("=")) throw parameterError("missing value for option");
      timestamp = isoTimeToEpoch(ts.slice(1));
      if (timestamp < 1) throw parameterError("invalid time value");
    }
    const algo = tokens.find((t) => t.startsWith("--algo="))?.slice("--algo=".length);
    const keyRef = rest.split(/[ \t]/, 1)[0] ?? "";
    if (keyRef === "") throw parameterError("no key number given");
    const { card, app } = await openApp(ctx);
    await using op = cardOperation(ctx, card);
    await app.genKey({
      keyRef,
      force: tokens.includes("--force"),
      ...(timestamp === undefined ? {} : { timestamp }),
      ...(algo ? { algo } : {}),
    }, op.ctx);
  },
};
