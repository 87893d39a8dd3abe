/**
 * Where card applications send status lines. Applications do not know Assuan: they name
 * the keyword and the arguments, and the scd layer formats the `S` line.
 * @module
 */

import { toHex } from "../util/bytes.ts";

/** Receiver of status lines. */
export interface StatusSink {
  /**
   * stock's `send_status_info`: every argument is percent-plus escaped (`+`, `"`, `%`,
   * bytes < 0x20, SP as `+`), empty arguments are skipped, the rest joined by one SP.
   * Byte arguments carry raw card data (e.g. DISP-NAME, KDF).
   */
  emit(keyword: string, ...args: (string | Uint8Array)[]): void | Promise<void>;
  /** stock's `send_status_direct` / `send_status_printf`: `text` goes out unescaped. */
  emitRaw(keyword: string, text: string): void | Promise<void>;
}

/** A sink that drops everything. */
export const NULL_STATUS: StatusSink = {
  emit() {},
  emitRaw() {},
};

/**
 * GENKEY's `S KEY-DATA <name> <hex>` (stock app-openpgp's `send_key_data`, which the other apps
 * share): hex longer than 768 digits goes first in `KEY-DATA - <768 hex>` chunks, the last part
 * under `name`.
 */
export async function emitKeyData(
  status: StatusSink,
  name: string,
  value: Uint8Array,
): Promise<void> {
  let hex = toHex(value);
  for (; hex.length > 768; hex = hex.slice(768)) {
    await status.emit("KEY-DATA", "-", hex.slice(0, 768));
  }
  await status.emit("KEY-DATA", name, hex);
}
