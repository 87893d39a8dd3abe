/**
 * Typed builders for the status lines the command layer emits itself (card applications
 * emit theirs through `StatusSink`). One place knows each line's format and whether stock
 * escapes it: `send_status_info` escapes (percent-plus), `send_status_direct`,
 * `send_status_printf` and `assuan_write_status` do not (scdaemon-protocol.md §2.3).
 *
 * Handlers write `await sendStatus(ctx.conn, serialNoStatus(sn))`, never strings.
 * @module
 */

import type { Connection } from "../assuan/mod.ts";
import type { StatusSink } from "../app/mod.ts";

/** One status line, ready to send. */
export interface StatusLine {
  readonly keyword: string;
  /** Escaped lines: each argument percent-plus escaped, joined by SP (`send_status_info`). */
  readonly args: readonly (string | Uint8Array)[];
  /** True: `args[0]` is sent as is (`send_status_direct` and friends). */
  readonly raw: boolean;
}

function raw(keyword: string, text: string): StatusLine {
  return { keyword, args: [text], raw: true };
}

/** Send one built status line. */
export async function sendStatus(conn: Connection, line: StatusLine): Promise<void> {
  if (line.raw) await conn.statusRaw(line.keyword, (line.args[0] ?? "") as string);
  else await conn.status(line.keyword, ...line.args);
}

/** A {@linkcode StatusSink} for card applications, writing to `conn`. */
export function statusSink(conn: Connection): StatusSink {
  return {
    emit: (keyword, ...args) => conn.status(keyword, ...args),
    emitRaw: (keyword, text) => conn.statusRaw(keyword, text),
  };
}

/**
 * `S SERIALNO <hex>[ <app>…]` (raw). With `apps` it is the 2.4 GETINFO active_apps form
 * (`send_serialno_and_app_status`).
 */
export function serialNoStatus(serialNo: string, apps: readonly string[] = []): StatusLine {
  return raw("SERIALNO", [serialNo, ...apps].join(" "));
}

/** `S READER <name>` (raw, LEARN). */
export function readerStatus(reader: string): StatusLine {
  return raw("READER", reader);
}

/** `S CARD-ATR <HEX>` (APDU --atr; escaped, though hex needs no escaping). */
export function cardAtrStatus(atrHex: string): StatusLine {
  return { keyword: "CARD-ATR", args: [atrHex], raw: false };
}

/** `S PROGRESS scd_locked . 0 0` while `LOCK --wait` waits (cmd_lock). */
export function lockWaitProgress(): StatusLine {
  return raw("PROGRESS", "scd_locked . 0 0");
}

/** One key for KEYINFO: `<GRIP> T <serialno> <keyref> <usage>` (2.4 `send_keyinfo`). */
export interface KeyInfoFields {
  keygrip: string;
  serialNo: string | undefined;
  keyRef: string | undefined;
  usage: string | undefined;
}

/** The text of a KEYINFO line (also the D payload of `KEYINFO --data`, plus LF). */
export function keyInfoText(k: KeyInfoFields): string {
  return `${k.keygrip} T ${k.serialNo ?? "-"} ${k.keyRef ?? "-"} ${k.usage ?? "-"}`;
}

/** `S KEYINFO <GRIP> T <sn> <keyref> <usage>` (raw: `assuan_write_status`). */
export function keyInfoStatus(k: KeyInfoFields): StatusLine {
  return raw("KEYINFO", keyInfoText(k));
}

/** `S PADDING <n>` before PKDECRYPT's data (`send_status_printf`). */
export function paddingStatus(padding: number): StatusLine {
  return raw("PADDING", String(padding));
}

/**
 * `S DEVICE <cardtype> <serialno> <apptype>` (raw, DEVINFO; `app_send_devinfo`). The virtual
 * card and most OpenPGP cards are cardtype "generic" (`strcardtype`).
 */
export function devinfoStatus(
  serialNo: string,
  appType: string,
  cardType = "generic",
): StatusLine {
  return raw("DEVICE", `${cardType} ${serialNo} ${appType}`);
}
