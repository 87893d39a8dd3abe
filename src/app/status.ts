/**
 * Where card applications send status lines. Applications do not know Assuan: they name
 * the keyword and the arguments, and the scd layer formats the `S` line.
 * @module
 */

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
