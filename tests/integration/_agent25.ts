/**
 * The gnupg 2.5 gpg-agent's side of two exchanges with the smartcard daemon, rebuilt from
 * gnupg master (no 2.5 binaries are packaged here), for the integration tests that play it:
 *
 * - agent/call-scd.c `prepare_setdata` (2.5.2, T7436): PKSIGN and PKDECRYPT input goes in
 *   `SETDATA` lines of at most 475 bytes (hex digits up to the 1000-byte line less 50), every
 *   line after the first with `--append`;
 * - agent/divert-scd.c `agent_card_ecc_kem` (2.5.7, T7648; 2.5.10/2.5.11, T7709): for the ECC
 *   part of a composite ML-KEM + ECC key the agent sends the ECC ciphertext alone with
 *   `PKDECRYPT <keygrip>` and accepts the result in three shapes: exactly the point length;
 *   x-only, one byte longer than half the point, with prefix 02, 03 or 0x41 (then zero-padded
 *   to the point length); or 0x40 followed by the point. Anything else is INV_DATA.
 *   The ciphertext it sends is the point without the 0x40 prefix Curve25519 may carry
 *   (agent/pkdecrypt.c `ecc_kem_decap`; point lengths from common/kem.c `ecc_table`).
 *
 * @module
 */
import { toHex } from "../../src/util/bytes.ts";
import { type Reply, run } from "./_scd_client.ts";
import type { Session } from "./_scd_fixture.ts";

/** Bytes per SETDATA line of the 2.5 agent (`i*2 < DIM(line)-50` with a 1000-byte line). */
export const SETDATA_CHUNK = 475;

/** The SETDATA lines the 2.5 agent sends for `data`. */
export function setdataLines(data: Uint8Array, chunk = SETDATA_CHUNK): string[] {
  const lines: string[] = [];
  for (let at = 0; at < data.length; at += chunk) {
    const hex = toHex(data.subarray(at, at + chunk));
    lines.push(at === 0 ? `SETDATA ${hex}` : `SETDATA --append ${hex}`);
  }
  return lines;
}

/** Sends `data` as the 2.5 agent does; returns the first failing reply, else the last. */
export async function prepareSetdata(
  session: Session,
  data: Uint8Array,
  chunk = SETDATA_CHUNK,
): Promise<Reply> {
  let last: Reply | undefined;
  for (const line of setdataLines(data, chunk)) {
    last = await run(session, line);
    if (last.err !== undefined) return last;
  }
  return last!;
}

/** The ECC point length the 2.5 agent uses per curve (common/kem.c `ecc_table`). */
export const POINT_LEN = { cv25519: 32, nistp256: 65, nistp384: 97, nistp521: 133 } as const;

/**
 * `agent_card_ecc_kem`'s reading of the daemon's PKDECRYPT result: the ECDH value it goes on
 * with, or undefined where the agent fails with INV_DATA.
 */
export function agentEccKemResult(result: Uint8Array, pointLen: number): Uint8Array | undefined {
  const len = result.length;
  if (len === pointLen) return result.slice();
  const prefix = result[0];
  if (len > 0 && (len - 1) * 2 === pointLen - 1 && (prefix === 0x41 || (prefix! & ~1) === 0x02)) {
    const out = new Uint8Array(pointLen);
    out.set(result);
    return out;
  }
  if (len === pointLen + 1 && prefix === 0x40) return result.slice(1);
  return undefined;
}
