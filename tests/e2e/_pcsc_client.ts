/**
 * "Another PC/SC client" for e2e tests: connects to READER in shared mode, sends the given
 * APDUs (hex) in one transaction, exactly as given (no SELECT of its own), and prints the
 * status words as a JSON array (and on stderr `elapsed_ms N`: connect to the last answer, so
 * a test can tell how long pcscd made it wait). Runs under the gnupg version's own libpcsclite (inside the
 * chroot for 2.4), so it reaches the same pcscd as the daemon under test.
 *
 *   deno run -A tests/e2e/_pcsc_client.ts "Virtual PCD 00 00" 00A4040006D27600012401 ...
 * @module
 */
import { PcscContext, withCard } from "../../src/pcsc/mod.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

if (import.meta.main && Deno.args[0] === "--keep-connected") {
  // `--keep-connected MS READER`: a shared handle without a transaction, held for MS. pcscd
  // resets a card whose last handle went when the next client connects to it (seen with vpcd),
  // which would hide whether a verification was left on the card; a handle kept open meanwhile
  // keeps the card as it is
  const [, ms, reader] = Deno.args;
  await using ctx = await PcscContext.establish();
  await using _card = await ctx.connectShared(reader!);
  console.log("connected");
  await new Promise((r) => setTimeout(r, Number(ms)));
} else if (import.meta.main) {
  const [reader, ...apdus] = Deno.args;
  if (reader === undefined) throw new Error("Usage: _pcsc_client.ts READER APDU...");
  const started = performance.now();
  const sws = await withCard(reader, async (channel) => {
    const out: string[] = [];
    for (const hex of apdus) {
      const r = await channel.transmit(fromHex(hex));
      out.push(toHex(r.subarray(r.length - 2)));
    }
    return out;
  }, { retry: false });
  console.error(`elapsed_ms ${Math.round(performance.now() - started)}`);
  console.log(JSON.stringify(sws));
}
