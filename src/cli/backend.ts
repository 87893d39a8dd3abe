/**
 * Which reader backend and reader a user command works on: PC/SC (shared connects, one short
 * transaction per read, so it works while the daemon runs), or `--reader virtual:STATEFILE`
 * for the built-in card in process, like the daemon's `SCD_TS_READER`.
 * @module
 */

import { type CardReaderBackend, matchReaders } from "../pcsc/mod.ts";
import { UsageError } from "./output.ts";

/**
 * The in-process virtual card for a `virtual:STATEFILE` reader name (the daemon's and the user
 * commands'), with the profile SCD_TS_VIRTUAL_PROFILE names (docs/cards.md). The profile is read
 * here, not in ScdConfig: it only exists for the built-in card.
 */
export async function virtualBackend(reader: string): Promise<CardReaderBackend> {
  const statePath = reader.slice("virtual:".length) || undefined;
  const profile = Deno.env.get("SCD_TS_VIRTUAL_PROFILE") || undefined;
  const { VirtualCard } = await import("../virtual/mod.ts");
  const { VirtualBackend } = await import("../pcsc/mod.ts");
  const card = await VirtualCard.open({
    ...(statePath ? { statePath } : {}),
    ...(profile ? { profile } : {}),
  });
  return new VirtualBackend(card);
}

/** The backend for `reader` (a `virtual:` name opens the in-process card). */
export async function backendFor(reader: string | undefined): Promise<CardReaderBackend> {
  if (reader?.startsWith("virtual:")) return await virtualBackend(reader);
  const { PcscBackend } = await import("../pcsc/mod.ts");
  // bounded: a card another program holds gives "busy" instead of waiting forever
  return new PcscBackend({ busyTimeoutMs: 5000 });
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
