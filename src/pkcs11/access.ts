/**
 * What the token commands outside application.ts (GENKEY in key_admin.ts, PASSWD and the PIN
 * status in pin_admin.ts) get from a {@linkcode Pkcs11Application}: its tokens, its keys and
 * its login, so that PINs are asked, sent and reported in one place. Plus the prompt helpers
 * they share.
 * @module
 */

import type { OperationContext } from "../app/mod.ts";
import type { TokenInfo } from "../../ffi/mod.ts";
import type { Token, TokenKey } from "./token.ts";

/** A key and the token (slot) it lives on. */
export type SlotKey = TokenKey & { token: Token };

/** A token application as the admin commands use it. */
export interface TokenAccess {
  readonly serialNo: string;
  /** The slots of the device, the first one holding its PINs. */
  readonly tokens: readonly Token[];
  /** The key a reference (`P11.<hex id>` or keygrip) names; NotFoundError when none. */
  key(keyRef: string): Promise<SlotKey>;
  /**
   * One session with the user logged in (the PIN asked through the PIN cache, sent once,
   * reported); `rw` opens a read-write session.
   */
  login<T>(
    token: Token,
    ctx: OperationContext,
    fn: (session: bigint) => Promise<T>,
    rw: boolean,
  ): Promise<T>;
  /** Drop what was read (after a key changed). */
  invalidate(): void;
}

/** Stock's `%`-escaping of text inside a NEEDPIN prompt. */
export function promptText(text: string): string {
  // deno-lint-ignore no-control-regex -- control bytes are what must be escaped
  return text.replace(/[%\x00-\x1f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** The lines of a prompt that name the token: label and serial number. */
export function tokenLines(info: TokenInfo): string {
  return `Token: ${promptText(info.label)}%0ASerial: ${promptText(info.serialNumber)}`;
}
