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
import { withCard } from "../../src/pcsc/mod.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";

if (import.meta.main) {
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
