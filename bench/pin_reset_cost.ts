/**
 * What each way of clearing a PIN verification costs (docs/pin-policy.md "Strict on every
 * card"), on the virtual card through the real pcscd and vpcd: N transactions of SELECT,
 * VERIFY 82 and then either VERIFY FF 82 + status query, or nothing and the transaction
 * ended with SCARD_RESET_CARD; plus, after the reset, what the next transaction costs. Prints
 * the median time of each. Not a test (no timed assertion); `deno run -A bench/pin_reset_cost.ts`.
 * @module
 */

import { withCard } from "../src/pcsc/mod.ts";
import { closeBed, openBed } from "./bed.ts";
import { startVcard } from "../tests/bed/vcard.ts";
import { percentile } from "./stats.ts";

const N = Number(Deno.args[0] ?? 30);
const SELECT = Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 6, 0xd2, 0x76, 0x00, 0x01, 0x24, 0x01);
const VERIFY_82 = Uint8Array.of(0x00, 0x20, 0x00, 0x82, 6, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36);
const FF_82 = Uint8Array.of(0x00, 0x20, 0xff, 0x82);
const STATUS_82 = Uint8Array.of(0x00, 0x20, 0x00, 0x82);

const sw = (r: Uint8Array) => ((r.at(-2)! << 8) | r.at(-1)!).toString(16);

async function timed(fn: () => Promise<void>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms;
}

const b = await openBed("2.2", console.error);
const dir = await Deno.makeTempDir();
const card = await startVcard({ port: b.port, statePath: `${dir}/card.json` });
try {
  await new Promise((r) => setTimeout(r, 1500)); // pcscd notices the card
  const leave = await timed(() =>
    withCard(b.reader, async (ch) => {
      await ch.transmit(SELECT);
      await ch.transmit(VERIFY_82);
    })
  );
  const ff = await timed(() =>
    withCard(b.reader, async (ch) => {
      await ch.transmit(SELECT);
      await ch.transmit(VERIFY_82);
      if (sw(await ch.transmit(FF_82)) !== "9000") throw new Error("VERIFY FF refused");
      if (sw(await ch.transmit(STATUS_82)).slice(0, 3) !== "63c") throw new Error("verified");
    })
  );
  const reset = await timed(() =>
    withCard(b.reader, async (ch) => {
      await ch.transmit(SELECT);
      await ch.transmit(VERIFY_82);
      ch.resetOnEnd?.();
    })
  );
  const status = await withCard(b.reader, async (ch) => {
    await ch.transmit(SELECT);
    return sw(await ch.transmit(STATUS_82));
  });
  const f = (xs: number[]) => `${percentile(xs, 50).toFixed(1)} ms`;
  console.log(`transactions of SELECT + VERIFY 82, median of ${N}, virtual card via vpcd:`);
  console.log(`  nothing cleared (session policy): ${f(leave)}`);
  console.log(`  + VERIFY FF 82 + status query:    ${f(ff)}`);
  console.log(`  ended with SCARD_RESET_CARD:      ${f(reset)}`);
  console.log(`  status of 82 after the reset: ${status} (63Cx = not verified)`);
} finally {
  await card.stop();
  await closeBed(b);
  await Deno.remove(dir, { recursive: true });
}
