/**
 * What stock scdaemon does differently for YubiKeys, which it recognises by probing the
 * YubiKey manager applet (scd/app.c `app_new_register`). We recognise them by Yubico's
 * manufacturer id 0006 in the OpenPGP AID instead, so no other applet is selected, and read
 * the firmware version with the OpenPGP applet's own GET VERSION (INS F1, as ykman does).
 *
 * - 2.4 reports the serial number with application version 0.0:
 *   `D2760001240100000006<BCD serial>0000` (scd/app.c `app_munge_serialno`); 2.2 reports
 *   the AID as it is.
 * - Both print the display serial in decimal, grouped "12 345 678" on firmware 5 and later
 *   (`app_get_dispserialno`).
 * - 2.4's LEARN starts with `CARDTYPE yubikey` and `CARDVERSION <hex version>`.
 * @module
 */

import { toHex } from "../util/bytes.ts";
import type { Aid } from "./aid.ts";

/** Yubico's OpenPGP manufacturer id. */
export const YUBICO = 0x0006;

/** GET VERSION of the YubiKey OpenPGP applet: 3 bytes major, minor, patch. */
export const GET_VERSION = { cla: 0x00, ins: 0xf1, p1: 0x00, p2: 0x00 } as const;

/** Whether the AID says Yubico made the card. */
export function isYubikey(aid: Aid): boolean {
  return aid.manufacturer === YUBICO;
}

/** The serial number stock 2.4 reports for a YubiKey: the AID with version 0.0. */
export function yubikeySerialNo(aid: Aid): string {
  const raw = aid.raw.slice();
  raw[6] = 0;
  raw[7] = 0;
  return toHex(raw);
}

/** The decimal display serial of a YubiKey (hex digits of the BCD serial read as decimal). */
export function yubikeyDisplaySerialNo(aid: Aid, cardVersion: number | undefined): string {
  const digits = aid.serialNo.slice(20, 28);
  const sn = Number(digits.replace(/[^0-9]/g, "0"));
  if ((cardVersion ?? 0) >> 16 >= 5) {
    const pad = (n: number) => String(n).padStart(3, "0");
    return `${Math.floor(sn / 1000000)} ${pad(Math.floor(sn / 1000) % 1000)} ${pad(sn % 1000)}`;
  }
  return String(sn);
}
