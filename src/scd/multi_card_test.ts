/**
 * Several cards at once (docs/multi-card.md): each registry entry has its own PIN cache
 * entries, so nothing done for card A (a PIN accepted or rejected, a removal) touches card
 * B's; and the 2.4 commands over two cards in-process.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { PinProvider, PinRequest } from "../app/mod.ts";
import { aid, Harness } from "../../tests/support/scd_harness.ts";
import type { CardEntry } from "./card_entry.ts";
import { CachingPinProvider, type PinCache, pinCacheWithRegistry } from "./pin/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function userRequest(card: CardEntry): PinRequest {
  const prompt = "||Please unlock the card";
  return {
    prompt,
    promptBytes: enc.encode(prompt),
    kind: "user",
    purpose: "verify",
    chvNo: 1,
    serialNo: card.serialNo,
    minLength: 6,
    triesLeft: 3,
  };
}

/** A client that answers `pin` and counts how often it was asked. */
function client(pin: string): PinProvider & { asked: number } {
  const c = {
    asked: 0,
    get() {
      c.asked++;
      return Promise.resolve(enc.encode(pin));
    },
    report() {},
  };
  return c;
}

async function twoCards() {
  const h = new Harness();
  await h.watch();
  h.insert("R0", aid("0000000A"));
  h.insert("R1", aid("0000000B"));
  await h.cards.scan();
  const a = h.cards.bySerial(aid("0000000A"))!;
  const b = h.cards.bySerial(aid("0000000B"))!;
  const { cache } = pinCacheWithRegistry(h.cards, h.config);
  return { h, a, b, cache };
}

/** One verification on `card`: the PIN the provider gives, reported with `outcome`. */
async function verify(
  cache: PinCache,
  card: CardEntry,
  inner: PinProvider,
  outcome: "accepted" | "rejected",
): Promise<string> {
  using provider = new CachingPinProvider(inner, cache, card);
  const request = userRequest(card);
  const pin = dec.decode(await provider.get(request));
  provider.report(request, outcome);
  return pin;
}

Deno.test("an operation on card A never touches card B's PIN cache entry", async () => {
  const { h, a, b, cache } = await twoCards();
  const forB = client("222222");
  await verify(cache, b, forB, "accepted");
  await verify(cache, a, client("111111"), "accepted");
  // A's cached PIN answers A, B's answers B
  assertEquals(await verify(cache, a, client("never asked"), "accepted"), "111111");
  assertEquals(await verify(cache, b, client("never asked"), "accepted"), "222222");
  // A rejects its PIN (changed elsewhere): A's entry goes, B's stays
  await verify(cache, a, client("unused"), "rejected");
  assertEquals(cache.has(a, "chv1"), false);
  assertEquals(dec.decode(cache.get(b, "chv1")!), "222222");
  // A is removed: B's entry is still there and answers without asking
  h.backend.cards.delete("R0");
  h.backend.emit({ type: "card-removed", reader: "R0" });
  assertEquals(h.cards.isCurrent(a), false);
  assertEquals(await verify(cache, b, forB, "accepted"), "222222");
  assertEquals(forB.asked, 1);
  await h.close();
});

Deno.test("SWITCHCARD, SWITCHAPP, GETINFO card_list and DEVINFO over two cards", async () => {
  const { h } = await twoCards();
  const { client: c } = await h.connect();
  const A = aid("0000000A");
  const B = aid("0000000B");
  assertEquals(await c.transact("SERIALNO --all"), [`S SERIALNO ${B}`, "OK"]);
  assertEquals(await c.transact("GETINFO card_list"), [`S SERIALNO ${A}`, `S SERIALNO ${B}`, "OK"]);
  assertEquals(await c.transact(`SWITCHCARD ${A.toLowerCase()}`), [`S SERIALNO ${A}`, "OK"]);
  assertEquals(await c.transact("SWITCHAPP"), [`S SERIALNO ${A} openpgp`, "OK"]);
  assertEquals(await c.transact("SWITCHCARD FF"), ["ERR 100663323 Not found <SCD>"]);
  // SWITCHCARD does not change the most-recently-used order
  assertEquals(await c.transact("DEVINFO"), [
    "S DEVINFO_START",
    `S DEVICE generic ${B} openpgp`,
    `S DEVICE generic ${A} openpgp`,
    "S DEVINFO_END",
    "OK",
  ]);
  h.backend.cards.delete("R0");
  h.backend.cards.delete("R1");
  h.backend.emit({ type: "card-removed", reader: "R0" });
  h.backend.emit({ type: "card-removed", reader: "R1" });
  assertEquals(await c.transact("GETINFO card_list"), ["ERR 100663408 Card not present <SCD>"]);
  assertEquals(await c.transact("DEVINFO"), [
    "S DEVINFO_START",
    "S DEVINFO_END",
    "ERR 100663323 Not found <SCD>",
  ]);
  await c.close();
  await h.close();
});

Deno.test("DEVINFO --watch: a removal, a swap and a card found by a scan; any input ends it", async () => {
  const { h } = await twoCards();
  const A = aid("0000000A");
  const B = aid("0000000B");
  const list = (...sns: string[]) => [
    "S DEVINFO_START",
    ...sns.map((sn) => `S DEVICE generic ${sn} openpgp`),
    "S DEVINFO_END",
  ];
  // the pipe: the list, the card opened and left, then the watch is refused (stock 2.4.7)
  const { client: pipe } = await h.connect({ pipe: true });
  assertEquals(await pipe.transact("DEVINFO --watch"), [
    ...list(B, A),
    "ERR 100663369 Invalid handle <SCD>",
  ]);
  assertEquals(await pipe.transact("GETINFO active_apps"), ["OK"]);
  const { client: c } = await h.connect();
  await c.send("DEVINFO --watch");
  const read = async (n: number) => {
    const out: string[] = [];
    while (out.length < n) out.push((await c.line())!);
    return out;
  };
  assertEquals(await read(8), [...list(B, A), ...list(B, A)]);
  h.backend.cards.delete("R1");
  h.backend.emit({ type: "card-removed", reader: "R1" });
  assertEquals(await read(4), ["S DEVINFO_STATUS removal", ...list(A)]);
  // another card in R0 replaces A: A is gone
  h.insert("R0", aid("0000000C"));
  h.backend.emit({ type: "card-inserted", reader: "R0", atr: Uint8Array.of(0x3b, 0x00) });
  assertEquals(await read(3), ["S DEVINFO_STATUS removal", ...list()]);
  await h.cards.scan(); // another session's SERIALNO finds the new card
  assertEquals(await read(4), ["S DEVINFO_STATUS new", ...list(aid("0000000C"))]);
  assertEquals(await c.transact("NOP"), ["OK"]); // DEVINFO's: the line ended the watch
  assertEquals(await c.line(), "OK"); // NOP's
  await c.close();
  await pipe.close();
  await h.close();
});
