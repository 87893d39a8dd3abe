/**
 * Which reader backend and reader a user command works on: PC/SC (shared connects, one short
 * transaction per read, so it works while the daemon runs), or `--reader virtual:STATEFILE`
 * for the built-in card in process, like the daemon's `SCD_TS_READER`.
 * @module
 */

import { type CardReaderBackend, matchReaders } from "../pcsc/mod.ts";
import { readerBackend } from "../scd/mod.ts";
import { UsageError } from "./output.ts";

/**
 * The backend for `reader` (a `virtual:` name opens the in-process card), chosen the way the
 * daemon chooses (scd/assemble.ts), but bounded: a card another program holds gives "busy"
 * after 5 s instead of waiting 30, and no handle is pooled.
 */
export async function backendFor(reader: string | undefined): Promise<CardReaderBackend> {
  return await readerBackend({ reader, values: new Map() }, { busyTimeoutMs: 5000, poolTtlMs: 0 });
}

/** The one reader `wanted` names, by the daemon's rule (pcsc/reader_match.ts). */
export function pickReader(readers: readonly string[], wanted: string): string {
  const matches = matchReaders(readers, wanted);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new UsageError(
      `No reader matches "${wanted}" (readers: ${readers.join(", ") || "none"})`,
    );
  }
  throw new UsageError(`"${wanted}" matches several readers: ${matches.join(", ")}`);
}
