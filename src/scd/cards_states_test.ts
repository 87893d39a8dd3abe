/**
 * The registry driven by reader states (issue: connects are for cards): PC/SC work counted
 * over the fake backend, and the pcscd-restart rule (docs/reliability.md F5a).
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { CardApplication } from "../app/mod.ts";
import { aid, type FakeApp, FakeBackend, fakeOpener } from "../../tests/support/scd_harness.ts";
import { CardRegistry } from "./cards.ts";

function registry(options: { identity?: (app: FakeApp) => string | undefined } = {}) {
  const backend = new FakeBackend();
  const apps: FakeApp[] = [];
  const open = fakeOpener(apps);
  const openApp = async (request: Parameters<typeof open>[0]): Promise<CardApplication> => {
    const app = await open(request) as FakeApp;
    if (!options.identity) return app;
    const identity = options.identity(app); // as read when opened, like the OpenPGP app's
    return Object.assign(app, { identity: () => identity });
  };
  const cards = new CardRegistry(backend, { openApp });
  return { backend, apps, cards };
}

Deno.test("with the monitor running, SERIALNO costs no PC/SC call when nothing changed", async () => {
  const { backend, cards } = registry();
  backend.readers = ["Virtual PCD 00 00", "Virtual PCD 00 01"];
  backend.cards.set("Virtual PCD 00 00", { serialNo: aid("00000001") });
  await cards.watch();
  await cards.select(); // opens the card: one operation
  const before = { ops: backend.operations, reads: backend.statusReads };
  for (let i = 0; i < 5; i++) await cards.select();
  await cards.select({ demand: aid("00000001") });
  assertEquals({ ops: backend.operations, reads: backend.statusReads }, before);
  assertEquals(before, { ops: 1, reads: 0 }); // and the empty reader was never connected to
  await cards.close();
});

Deno.test("a mute card and one held exclusively are never connected to", async () => {
  const { backend, cards } = registry();
  backend.readers = ["A", "B", "C"];
  backend.cards.set("A", { serialNo: aid("0000000A"), mute: true });
  backend.cards.set("B", { serialNo: aid("0000000B"), exclusive: true });
  backend.cards.set("C", { serialNo: aid("0000000C") });
  assertEquals((await cards.select()).reader, "C");
  assertEquals(backend.operations, 1);
});

Deno.test("a card without an OpenPGP application is tried once per insertion", async () => {
  const { backend, cards } = registry();
  backend.readers = ["A", "B"];
  backend.cards.set("A", { serialNo: aid("0000000A"), noApp: true });
  backend.cards.set("B", { serialNo: aid("0000000B") });
  await cards.watch();
  await cards.select();
  await cards.select();
  assertEquals(backend.operations, 2); // A once, B once
  backend.cards.set("A", { serialNo: aid("0000000A"), noApp: true }); // taken out and back
  backend.emit({ type: "card-inserted", reader: "A", atr: Uint8Array.of(0x3b, 0x00) });
  await cards.select();
  assertEquals(backend.operations, 3);
  await cards.close();
});

Deno.test("a reader unplugged (USB hot-plug) drops its card on the next scan", async () => {
  const { backend, cards } = registry();
  backend.readers = ["A", "B"];
  backend.cards.set("A", { serialNo: aid("0000000A") });
  backend.cards.set("B", { serialNo: aid("0000000B") });
  const changes: string[] = [];
  cards.onChange((c) => changes.push(`${c.type} ${c.reader}`));
  await cards.select();
  backend.readers = ["A"];
  assertEquals((await cards.select()).reader, "A");
  assertEquals(cards.cards.map((c) => c.reader), ["A"]);
  assertEquals(changes, ["new A", "new B", "removed B"]);
});

Deno.test("pcscd restart: the same card keeps its entry, so its PIN cache survives", async () => {
  const { backend, apps, cards } = registry({ identity: (app) => `${app.serialNo}/keys-1` });
  backend.readers = ["A"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  await cards.watch();
  const entry = await cards.select();
  const changes: string[] = [];
  cards.onChange((c) => changes.push(`${c.type} ${c.reader}`));
  backend.emit({ type: "service-lost" });
  backend.resyncing = true;
  assertEquals(cards.isCurrent(entry), true);
  backend.cards.set("A", { serialNo: aid("00000001") }); // powered up again: a new insertion
  backend.resyncing = false;
  backend.emit({ type: "service-restored" });
  assertEquals((await cards.select()).id, entry.id); // opened again and proved the same
  assertEquals([apps.length, apps[0]!.invalidated, changes.length], [2, 1, 0]);
  assertEquals((await cards.select()).id, entry.id); // and now known by its new insertion
  assertEquals(apps.length, 2);
  await cards.close();
});

Deno.test("pcscd restart: another card (or other keys) behind the same ATR gets a new entry", async () => {
  let keys = "keys-1";
  const { backend, cards } = registry({ identity: (app) => `${app.serialNo}/${keys}` });
  backend.readers = ["A"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  await cards.watch();
  const entry = await cards.select();
  const changes: string[] = [];
  cards.onChange((c) => changes.push(`${c.type} ${c.reader}`));
  backend.emit({ type: "service-lost" });
  keys = "keys-2"; // another program generated keys while pcscd was away
  backend.cards.set("A", { serialNo: aid("00000001") });
  backend.emit({ type: "service-restored" });
  const now = await cards.select();
  assertEquals([now.id === entry.id, cards.isCurrent(entry)], [false, false]);
  assertEquals(changes, ["removed A", "new A"]);
  await cards.close();
});

Deno.test("pcscd restart: a card still away when pcscd is back is dropped by the next scan", async () => {
  const { backend, cards } = registry({ identity: (app) => app.serialNo });
  backend.readers = ["A"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  await cards.watch();
  const entry = await cards.select();
  backend.emit({ type: "service-lost" });
  backend.cards.delete("A");
  backend.emit({ type: "service-restored" });
  assertEquals(cards.isCurrent(entry), true); // it may come back in a moment
  await cards.select().catch(() => {});
  assertEquals(cards.isCurrent(entry), false);
  await cards.close();
});

Deno.test("pcscd restart: a card back only after the re-read keeps its entry and PIN cache", async () => {
  const { backend, cards } = registry({ identity: (app) => app.serialNo });
  backend.readers = ["A"];
  const card = { serialNo: aid("00000001") };
  backend.cards.set("A", card);
  await cards.watch();
  const entry = await cards.select();
  backend.emit({ type: "service-lost" });
  backend.cards.delete("A");
  backend.emit({ type: "service-restored" }); // the re-read found the reader empty (vpcd, USB)
  backend.cards.set("A", { ...card }); // then the card is back: an insertion event
  backend.emit({ type: "card-inserted", reader: "A", atr: Uint8Array.of(0x3b, 0x00) });
  assertEquals((await cards.select()).id, entry.id);
  await cards.close();
});

Deno.test('with no usable card, a card that said "no OpenPGP application" is asked again', async () => {
  const { backend, cards } = registry();
  backend.readers = ["A"];
  const card = { serialNo: aid("0000000A"), noApp: true };
  backend.cards.set("A", card);
  await cards.watch();
  await cards.select().catch(() => {}); // 6A82: remembered
  card.noApp = false; // the answer was a glitch (or the application was enabled meanwhile)
  assertEquals((await cards.select()).reader, "A");
  await cards.close();
});

Deno.test("an insertion a scan opened before the monitor reported it is not a change", async () => {
  const { backend, cards } = registry({ identity: (app) => app.serialNo });
  backend.readers = ["A"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  await cards.watch();
  const entry = await cards.select();
  backend.emit({ type: "service-lost" });
  backend.resyncing = true; // the monitor is still re-reading: scans read the states themselves
  backend.cards.set("A", { serialNo: aid("00000001") });
  assertEquals((await cards.select()).id, entry.id); // confirmed by its identity
  backend.resyncing = false;
  backend.emit({ type: "service-restored" });
  backend.emit({ type: "card-inserted", reader: "A", atr: Uint8Array.of(0x3b, 0x00) });
  assertEquals(cards.isCurrent(entry), true);
  await cards.close();
});
