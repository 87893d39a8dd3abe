/**
 * `monitor-idle` (docs/reliability.md F5b): the registry stops its reader monitor after a quiet
 * period, treats the time released like a pcscd restart, and re-syncs on the next command.
 * PC/SC work counted over the fake backend.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { CardApplication } from "../app/mod.ts";
import {
  aid,
  type FakeApp,
  FakeBackend,
  fakeOpener,
  Harness,
} from "../../tests/support/scd_harness.ts";
import { CardRegistry } from "./cards.ts";

const IDLE_MS = 30;

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A registry whose apps say who they are by serial and `keys` (like the OpenPGP app). */
function registry(keys: { now: string } = { now: "keys-1" }) {
  const backend = new FakeBackend();
  const apps: FakeApp[] = [];
  const open = fakeOpener(apps);
  const openApp = async (request: Parameters<typeof open>[0]): Promise<CardApplication> => {
    const app = await open(request) as FakeApp;
    const identity = `${app.serialNo}/${keys.now}`; // as read when opened
    return Object.assign(app, { identity: () => identity });
  };
  const cards = new CardRegistry(backend, { openApp, monitorIdleMs: IDLE_MS });
  const changes: string[] = [];
  cards.onChange((c) => changes.push(`${c.type} ${c.reader}`));
  return { backend, apps, cards, changes };
}

/** Counts of PC/SC work so far. */
function work(backend: FakeBackend) {
  return {
    operations: backend.operations,
    statusReads: backend.statusReads,
    starts: backend.watchStarts,
    stops: backend.watchStops,
  };
}

/** One command: marked as a use, as the server does. */
async function command<T>(cards: CardRegistry, fn: () => Promise<T>): Promise<T> {
  using _use = cards.inUse();
  return await fn();
}

Deno.test("monitor-idle: the release stops the monitor and makes no other PC/SC call", async () => {
  const { backend, cards } = registry();
  backend.readers = ["A"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  await cards.watch();
  await command(cards, () => cards.select());
  const before = work(backend);
  assertEquals(before, { operations: 1, statusReads: 0, starts: 1, stops: 0 });
  await delay(IDLE_MS * 3);
  assertEquals([cards.watching, cards.released], [false, true]);
  assertEquals(work(backend), { ...before, stops: 1 });
  await cards.close();
});

Deno.test("monitor-idle: the next command re-syncs with the monitor's one read; the same card keeps its entry", async () => {
  const { backend, apps, cards, changes } = registry();
  backend.readers = ["A", "B"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  await cards.watch();
  const entry = await command(cards, () => cards.select());
  await delay(IDLE_MS * 3);
  assertEquals(cards.released, true);
  // pcscd exited meanwhile and came back: a new insertion (counter) for the same card
  backend.cards.set("A", { serialNo: aid("00000001") });
  const again = await command(cards, () => cards.select());
  assertEquals(again.id, entry.id); // so the PIN cache keyed by it stays
  assertEquals([cards.watching, cards.released], [true, false]);
  // the monitor started again (its first read is the re-sync), no separate status read; the
  // card opened once to prove its identity; the old app's model is re-read
  assertEquals(work(backend), { operations: 2, statusReads: 0, starts: 2, stops: 1 });
  assertEquals([apps.length, apps[0]!.invalidated, changes], [2, 1, ["new A"]]);
  await command(cards, () => cards.select()); // known again by its new insertion
  assertEquals(backend.operations, 2);
  await cards.close();
});

Deno.test("monitor-idle: a card swapped while released (same ATR) gets a new entry", async () => {
  const { backend, cards, changes } = registry();
  backend.readers = ["A"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  await cards.watch();
  const entry = await command(cards, () => cards.select());
  await delay(IDLE_MS * 3);
  backend.cards.set("A", { serialNo: aid("00000002") });
  const now = await command(cards, () => cards.select());
  assertEquals([now.id === entry.id, now.serialNo, cards.isCurrent(entry)], [
    false,
    aid("00000002"),
    false,
  ]);
  assertEquals(changes, ["new A", "removed A", "new A"]);
  await cards.close();
});

Deno.test("monitor-idle: the same card with other keys while released gets a new entry", async () => {
  const keys = { now: "keys-1" };
  const { backend, cards } = registry(keys);
  backend.readers = ["A"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  await cards.watch();
  const entry = await command(cards, () => cards.select());
  await delay(IDLE_MS * 3);
  keys.now = "keys-2"; // another program generated keys meanwhile
  assertEquals((await command(cards, () => cards.select())).id === entry.id, false);
  await cards.close();
});

Deno.test("monitor-idle: a card pulled while released is dropped by the first scan after", async () => {
  const { backend, cards, changes } = registry();
  backend.readers = ["A"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  await cards.watch();
  const entry = await command(cards, () => cards.select());
  await delay(IDLE_MS * 3);
  backend.cards.delete("A");
  assertEquals(changes, ["new A"]); // nothing delivered while released
  await command(cards, () => Promise.resolve()); // any command, even one without a card
  await delay(0);
  // an empty reader may get its card back in a moment (docs/reliability.md F5a): a scan decides
  assertEquals([cards.watching, cards.isCurrent(entry)], [true, true]);
  await command(cards, () => cards.select().catch(() => undefined));
  assertEquals([cards.isCurrent(entry), changes], [false, ["new A", "removed A"]]);
  await cards.close();
});

Deno.test("monitor-idle: a command in progress is not quiet time", async () => {
  const { backend, cards } = registry();
  backend.readers = ["A"];
  backend.cards.set("A", { serialNo: aid("00000001") });
  await cards.watch();
  {
    using _use = cards.inUse(); // a PIN entry, DEVINFO --watch
    await delay(IDLE_MS * 3);
    assertEquals(cards.watching, true);
  }
  await delay(IDLE_MS / 3);
  assertEquals(cards.watching, true); // the quiet period counts from the command's end
  await delay(IDLE_MS * 3);
  assertEquals(cards.released, true);
  await cards.close();
});

Deno.test("monitor-idle: 0 never releases", async () => {
  const backend = new FakeBackend();
  backend.readers = ["A"];
  const cards = new CardRegistry(backend, { openApp: fakeOpener() });
  await cards.watch();
  await command(cards, () => cards.select().catch(() => undefined));
  await delay(IDLE_MS * 3);
  assertEquals([cards.watching, backend.watchStops], [true, 0]);
  await cards.close();
});

Deno.test("monitor-idle: commands through the server count; after a release SERIALNO gives the same card and no event signal", async () => {
  const h = new Harness({ env: { SCD_TS_MONITOR_IDLE: `${IDLE_MS}ms` } });
  h.insert("A", aid("00000001"));
  await h.watch();
  const { client } = await h.connect({ peerPid: 777 });
  await client.transact("OPTION event-signal=12");
  const first = await client.transact("SERIALNO");
  await delay(IDLE_MS * 3);
  assertEquals(h.cards.released, true);
  h.insert("A", aid("00000001")); // powered up again by a new pcscd
  assertEquals(await client.transact("SERIALNO"), first);
  assertEquals([h.cards.watching, h.backend.watchStarts, h.signals], [true, 2, []]);
  await client.close();
  await h.close();
});
