/**
 * "Another PC/SC client" that makes trouble, for the fault matrix (docs/reliability.md). Runs
 * under the gnupg version's own libpcsclite (inside the chroot for 2.4, through
 * `CardContext.run`), so it reaches the same pcscd as the daemon under test. Every mode prints
 * one JSON line on stdout; a PC/SC failure is part of that line, not an exit code, because for
 * stock in its default mode "could not get at the card" is the outcome being recorded.
 *
 *   _fault_client.ts transmit READER APDU...   one shared transaction, the APDUs as given
 *   _fault_client.ts reset READER              connect shared, disconnect with SCARD_RESET_CARD
 *   _fault_client.ts hold READER MS            begin a transaction, print {"held":true}, keep it MS
 *   _fault_client.ts hammer READER MS          short transactions (SELECT PIV/OpenPGP, GET DATA,
 *                                              PSO:CDS without VERIFY) for MS ms, then counts
 *   _fault_client.ts exclusive READER MS       retry an EXCLUSIVE connect for up to MS ms
 *   _fault_client.ts present READER MS         wait until the reader reports a card
 *   _fault_client.ts absent READER MS          wait until the reader reports no card
 * @module
 */
import { PcscContext, withCard } from "../../../src/pcsc/mod.ts";
import { fromHex, toHex } from "../../../src/util/bytes.ts";
import { tryExclusive, waitForCard } from "../../bed/exclusive_client.ts";

export const SELECT_OPENPGP = "00A4040006D27600012401";
export const SELECT_PIV = "00A4040009A00000030800001000";
export const GET_AID = "00CA004F00";
/** PSO:COMPUTE DIGITAL SIGNATURE over 32 bytes, as a program without the PIN would try it. */
export const PSO_CDS = "002A9E9A20" + "5A".repeat(32) + "00";

function print(value: unknown): void {
  console.log(JSON.stringify(value));
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function transmit(reader: string, apdus: string[]): Promise<unknown> {
  const sws = await withCard(reader, async (channel) => {
    const out: string[] = [];
    for (const hex of apdus) {
      const r = await channel.transmit(fromHex(hex));
      out.push(toHex(r.subarray(r.length - 2)).toUpperCase());
    }
    return out;
  }, { retry: false });
  return { sws };
}

async function reset(reader: string): Promise<unknown> {
  await using ctx = await PcscContext.establish();
  const card = await ctx.connectShared(reader);
  const started = performance.now();
  await card.disconnect("reset");
  return { reset: true, ms: Math.round(performance.now() - started) };
}

async function hold(reader: string, ms: number): Promise<unknown> {
  await using ctx = await PcscContext.establish();
  await using card = await ctx.connectShared(reader);
  const tx = await card.beginTransaction();
  print({ held: true });
  await new Promise((r) => setTimeout(r, ms));
  await tx.end();
  return { released: true };
}

/** One round of the hammer: what a busy PIV/OpenPGP program would send. */
async function hammerRound(reader: string, round: number): Promise<string[]> {
  const apdus = round % 2 === 0
    ? [SELECT_PIV, SELECT_OPENPGP, GET_AID]
    : [SELECT_OPENPGP, GET_AID, PSO_CDS];
  const r = await transmit(reader, apdus) as { sws: string[] };
  return r.sws;
}

async function hammer(reader: string, ms: number): Promise<unknown> {
  const deadline = Date.now() + ms;
  const counts = { rounds: 0, errors: 0, psoAccepted: 0, badSelect: 0, lastError: "" };
  while (Date.now() < deadline) {
    try {
      const odd = counts.rounds % 2 === 1;
      const sws = await hammerRound(reader, counts.rounds);
      // PSO:CDS signed without this client's VERIFY: someone left the card verified
      if (odd && sws[2] === "9000") counts.psoAccepted++;
      if (sws[odd ? 0 : 1] !== "9000") counts.badSelect++;
    } catch (e) {
      counts.errors++;
      counts.lastError = describe(e);
    }
    counts.rounds++;
    if (counts.rounds % 20 === 0) print(counts); // the last line counts even after a SIGTERM
  }
  return counts;
}

async function exclusive(reader: string, ms: number): Promise<unknown> {
  const started = Date.now();
  let rv = "";
  do {
    rv = await tryExclusive(reader);
    if (rv === "SCARD_S_SUCCESS") break;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() - started < ms);
  return { rv, ms: Date.now() - started };
}

async function main(args: string[]): Promise<unknown> {
  const [mode, reader, ...rest] = args;
  if (mode === undefined || reader === undefined) {
    throw new Error("Usage: _fault_client.ts MODE READER [ARGS]");
  }
  const ms = Number(rest[0] ?? 0);
  switch (mode) {
    case "transmit":
      return await transmit(reader, rest);
    case "reset":
      return await reset(reader);
    case "hold":
      return await hold(reader, ms);
    case "hammer":
      return await hammer(reader, ms);
    case "exclusive":
      return await exclusive(reader, ms);
    case "present":
    case "absent":
      await waitForCard(reader, mode === "present", ms);
      return { [mode]: true };
  }
  throw new Error(`Cannot run mode "${mode}"`);
}

if (import.meta.main) {
  try {
    print(await main(Deno.args));
  } catch (e) {
    print({ error: describe(e) });
  }
}
