/**
 * The OpenPGP application identifier (DO 4F, spec 3.4 §4.2.1):
 * `D2 76 00 01 24` RID, `01` application, `VV vv` version, `MM MM` manufacturer,
 * `SS SS SS SS` serial, `00 00` RFU. scdaemon uses the whole AID as the card's serial
 * number (`S SERIALNO D276…`).
 * @module
 */

import { equalBytes, readUintBE, toHex } from "../util/bytes.ts";
import { OPENPGP_AID } from "./commands.ts";

/** Malformed AID. */
export class AidSyntaxError extends SyntaxError {
  override name = "AidSyntaxError";
}

/** A parsed AID. */
export interface Aid {
  raw: Uint8Array;
  /** Spec version, e.g. { major: 3, minor: 4 }. */
  version: { major: number; minor: number };
  /** gnupg's appversion: major << 8 | minor (0x0304). */
  appVersion: number;
  /** Manufacturer id (bytes 8–9). */
  manufacturer: number;
  /** Card serial (bytes 10–13). */
  serial: number;
  /** Uppercase hex of the whole AID: the SERIALNO stock reports. */
  serialNo: string;
}

/** Parse the 16-byte AID (GET DATA 4F). */
export function parseAid(raw: Uint8Array): Aid {
  if (raw.length !== 16) {
    throw new AidSyntaxError(`Cannot parse AID: ${raw.length} bytes, expected 16`);
  }
  if (!equalBytes(raw.subarray(0, 6), OPENPGP_AID)) {
    throw new AidSyntaxError(
      `Cannot parse AID: ${toHex(raw.subarray(0, 6))} is not the OpenPGP application`,
    );
  }
  return {
    raw: raw.slice(),
    version: { major: raw[6]!, minor: raw[7]! },
    appVersion: (raw[6]! << 8) | raw[7]!,
    manufacturer: readUintBE(raw.subarray(8, 10)),
    serial: readUintBE(raw.subarray(10, 14)),
    serialNo: toHex(raw),
  };
}

/**
 * The display serial (`$DISPSERIALNO`, PIN prompts): manufacturer hex, a space, serial hex,
 * e.g. "0006 12345678" (scd/app.c `app_get_dispserialno` for OpenPGP cards).
 */
export function displaySerialNo(aid: Aid): string {
  return `${aid.serialNo.slice(16, 20)} ${aid.serialNo.slice(20, 28)}`;
}

// gnupg 2.4.8 scd/app-openpgp.c app_openpgp_manufacturer (scdaemon-protocol.md §7.1).
const MANUFACTURERS: Record<number, string> = {
  0x0001: "PPC Card Systems",
  0x0002: "Prism",
  0x0003: "OpenFortress",
  0x0004: "Wewid",
  0x0005: "ZeitControl",
  0x0006: "Yubico",
  0x0007: "OpenKMS",
  0x0008: "LogoEmail",
  0x0009: "Fidesmo",
  0x000a: "VivoKey",
  0x000b: "Feitian Technologies",
  0x000d: "Dangerous Things",
  0x000e: "Excelsecu",
  0x000f: "Nitrokey",
  0x0010: "NeoPGP",
  0x0011: "Token2",
  0x002a: "Magrathea",
  0x0042: "GnuPG e.V.",
  0x1337: "Warsaw Hackerspace",
  0x2342: "warpzone",
  0x4354: "Confidential Technologies",
  0x5343: "SSE Carte à puce",
  0x5443: "TIF-IT e.V.",
  0x63af: "Trustica",
  0xba53: "c-base e.V.",
  0xbd0e: "Paranoidlabs",
  0xca05: "Atos CardOS",
  0xf1d0: "CanoKeys",
  0xf517: "FSIJ",
  0xf5ec: "F-Secure",
  0x0000: "test card",
  0xffff: "test card",
};

/** Manufacturer name as stock's `S MANUFACTURER <id> <name>` prints it. */
export function manufacturerName(id: number): string {
  return MANUFACTURERS[id] ?? ((id & 0xff00) === 0xff00 ? "unmanaged S/N range" : "unknown");
}
