import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { aid, type FakeApp, FakeBackend, fakeOpener } from "../../tests/support/scd_harness.ts";
import { NoCardError } from "./card_entry.ts";
import { CardRegistry } from "./cards.ts";

function registry(readerPort?: string) {
  const backend = new FakeBackend();
  const apps: FakeApp[] = [];
  const cards = new CardRegistry(backend, { openApp: fakeOpener(apps), readerPort });
  return { backend, apps, cards };
}

Deno.test("CardRegistry.select() scans every reader; the card found last is current, like stock 2.4", async () => {
  const { backend, cards } = registry();
  backend.readers = ["A", "B", "C", "D"];
  backend.cards.set("B", { serialNo: aid("0000000B") });
  backend.cards.set("C", { serialNo: aid("0000000C") });
  await cards.watch();
  assertEquals((await cards.select()).reader, "C");
  assertEquals(cards.cards.map((c) => [c.reader, c.slot]), [["C", 2], ["B", 1]]);
  assertEquals((await cards.select({ demand: aid("0000000b") })).reader, "B");
  // most recently selected first, like stock's card_top
  assertEquals(cards.cards.map((c) => c.reader), ["B", "C"]);
  assertEquals((await cards.select()).reader, "B");
  assertEquals((await cards.current()).reader, "B");
  assertEquals(cards.bySerial(aid("0000000c"))?.reader, "C");
  // a card in D found by the next scan goes to the front and is announced as "new"
  const changes: string[] = [];
  cards.onChange((c) => changes.push(`${c.type} ${c.reader}`));
  backend.cards.set("D", { serialNo: aid("0000000D") });
  assertEquals((await cards.select()).reader, "D");
  assertEquals(changes, ["new D"]);
  await cards.close();
});

Deno.test("CardRegistry passes over a reader whose card has no OpenPGP application", async () => {
  const { backend, cards } = registry();
  backend.readers = ["A", "B"];
  backend.cards.set("A", { serialNo: aid("0000000A") });
  backend.cards.set("B", { serialNo: aid("0000000B"), noApp: true });
  assertEquals((await cards.select()).reader, "A");
});

Deno.test("CardRegistry takes reader-port as a name, a 0-based index or a substring", async () => {
  const { backend, cards } = registry("1");
  backend.readers = ["Virtual PCD 00 00", "Virtual PCD 00 01"];
  assertEquals(await cards.readers(), ["Virtual PCD 00 01"]);
  const past = registry("7");
  past.backend.readers = ["Virtual PCD 00 00"];
  assertEquals(await past.cards.readers(), []);
});

Deno.test("CardRegistry.select() says why nothing was found", async () => {
  const { backend, cards } = registry();
  const reason = (e: unknown) => e instanceof NoCardError ? e.reason : String(e);
  await assertRejects(cards.select(), (e) => reason(e) === "no-reader");
  backend.readers = ["A"];
  await assertRejects(cards.select(), (e) => reason(e) === "no-card");
  backend.cards.set("A", { serialNo: aid("00000001") });
  await assertRejects(cards.select({ demand: "FF" }), (e) => reason(e) === "not-found");
  await assertRejects(cards.select({ apptype: "nks" }), (e) => reason(e) === "not-found");
});

Deno.test("CardRegistry filters readers like --reader-port: exact name first, else substring", async () => {
  const { backend, cards } = registry("PCD 00 01");
  backend.readers = ["Virtual PCD 00 00", "Virtual PCD 00 01"];
  assertEquals(await cards.readers(), ["Virtual PCD 00 01"]);
  const exact = registry("Virtual PCD 00 00");
  exact.backend.readers = ["Virtual PCD 00 00", "Virtual PCD 00 00 extra"];
  assertEquals(await exact.cards.readers(), ["Virtual PCD 00 00"]);
});

Deno.test("CardRegistry opens a card once per insertion, monitor or not; events drop it", async () => {
  const { backend, apps, cards } = registry();
  backend.readers = ["A"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  const first = await cards.select();
  assertEquals((await cards.select()).id, first.id);
  assertEquals([apps.length, backend.statusReads], [1, 2]); // no monitor: one status read each
  backend.cards.set("A", { serialNo: aid("00000001") }); // re-inserted: a new insertion
  const second = await cards.select();
  assertEquals([apps.length, cards.isCurrent(first), apps[0]!.invalidated], [2, false, 1]);
  assertEquals(await cards.watch(), true);
  assertEquals((await cards.select()).id, second.id);
  const changes: string[] = [];
  cards.onChange((c) => changes.push(`${c.type} ${c.reader} ${c.dropped?.id ?? "-"}`));
  backend.emit({ type: "card-removed", reader: "A" });
  assertEquals(cards.isCurrent(second), false);
  assertEquals(changes, [`removed A ${second.id}`]);
  await cards.close();
});

Deno.test("CardRegistry works without a monitor when watching fails", async () => {
  const { backend, cards } = registry();
  backend.watchFails = true;
  assertEquals(await cards.watch(), false);
  assertEquals(cards.watching, false);
});

Deno.test("CardRegistry lock has one owner", () => {
  const { cards } = registry();
  const a = {};
  const b = {};
  assertEquals([cards.sessionLock.lock(a), cards.sessionLock.lock(a), cards.sessionLock.lock(b)], [
    true,
    true,
    false,
  ]);
  assertEquals([
    cards.sessionLock.lockedByOther(b),
    cards.sessionLock.lockedByOther(a),
    cards.sessionLock.holdsLock(a),
  ], [
    true,
    false,
    true,
  ]);
  assertEquals([
    cards.sessionLock.unlock(b),
    cards.sessionLock.unlock(a),
    cards.sessionLock.unlock(a),
  ], [
    "locked-by-other",
    "unlocked",
    "not-locked",
  ]);
});

Deno.test("CardRegistry ignores events of readers outside --reader-port", async () => {
  const { backend, cards } = registry("PCD 00 01");
  backend.readers = ["Virtual PCD 00 00", "Virtual PCD 00 01"];
  assertEquals(await cards.watch(), true);
  const changes: string[] = [];
  cards.onChange((c) => changes.push(`${c.type} ${c.reader}`));
  backend.emit({ type: "card-removed", reader: "Virtual PCD 00 00" });
  backend.emit({ type: "card-removed", reader: "Virtual PCD 00 01" });
  assertEquals(changes, ["removed Virtual PCD 00 01"]);
  await cards.close();
});
