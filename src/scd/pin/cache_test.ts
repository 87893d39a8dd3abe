import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import type { PinProvider, PinRequest } from "../../app/mod.ts";
import { CachingPinProvider, parseDuration, PinCache } from "./cache.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function request(fields: Partial<PinRequest> = {}): PinRequest {
  return {
    prompt: "||Please unlock the card",
    promptBytes: enc.encode("||Please unlock the card"),
    kind: "user",
    purpose: "verify",
    chvNo: 1,
    serialNo: "D2760001240103040006123456780000",
    minLength: 6,
    triesLeft: 3,
    ...fields,
  };
}

/** A client that answers from a list and records what it was asked. */
function client(answers: string[]): PinProvider & { asked: PinRequest[]; reports: string[] } {
  const asked: PinRequest[] = [];
  const reports: string[] = [];
  return {
    asked,
    reports,
    get(r) {
      asked.push(r);
      const a = answers.shift();
      return a === undefined
        ? Promise.reject(new Error("cancelled"))
        : Promise.resolve(enc.encode(a));
    },
    report(r, outcome) {
      reports.push(`${r.kind}:${outcome}`);
    },
  };
}

function fakeClock() {
  const clock = { t: 1000, now: () => clock.t };
  return clock;
}

Deno.test("parseDuration() reads seconds and s/m/h/d units; 0 is off; junk is undefined", () => {
  assertEquals(parseDuration("600"), 600_000);
  assertEquals(parseDuration("10m"), 600_000);
  assertEquals(parseDuration("1.5h"), 5_400_000);
  assertEquals(parseDuration("30s"), 30_000);
  assertEquals(parseDuration("0"), 0);
  assertEquals(parseDuration("1d"), 86_400_000);
  assertEquals(parseDuration("ten"), undefined);
  assertEquals(parseDuration("-5"), undefined);
});

Deno.test("PinCache keeps copies per scope and kind; TTL slides on use; expiry wipes", () => {
  const clock = fakeClock();
  const cache = new PinCache({ ttlMs: 1000, now: clock.now, timers: false });
  const card = {};
  const other = {};
  const pin = enc.encode("123456");
  cache.put(card, "chv2", pin);
  pin.fill(0); // the cache holds its own copy
  assertEquals(dec.decode(cache.get(card, "chv2")), "123456");
  assertEquals(cache.get(card, "chv3"), undefined);
  assertEquals(cache.get(other, "chv2"), undefined);
  clock.t += 900;
  assertEquals(dec.decode(cache.get(card, "chv2")), "123456"); // used: TTL restarts
  clock.t += 900;
  cache.sweep();
  assertEquals(cache.size, 1);
  clock.t += 100;
  cache.sweep();
  assertEquals([cache.size, cache.get(card, "chv2")], [0, undefined]);
});

Deno.test("PinCache.get() after the TTL passed drops the entry even without a sweep", () => {
  const clock = fakeClock();
  const cache = new PinCache({ ttlMs: 50, now: clock.now, timers: false });
  const card = {};
  cache.put(card, "chv3", enc.encode("12345678"));
  clock.t += 50;
  assertEquals([cache.get(card, "chv3"), cache.size], [undefined, 0]);
});

Deno.test("PinCache with TTL 0 stores nothing", () => {
  const cache = new PinCache({ ttlMs: 0, timers: false });
  cache.put({}, "chv1", enc.encode("123456"));
  assertEquals([cache.enabled, cache.size], [false, 0]);
});

Deno.test("PinCache.drop()/dropWhere()/clear() zero the stored bytes", () => {
  const cache = new PinCache({ ttlMs: 1000, timers: false });
  const a = {}, b = {};
  cache.put(a, "chv1", enc.encode("111111"));
  cache.put(a, "chv3", enc.encode("22222222"));
  cache.put(b, "chv2", enc.encode("333333"));
  cache.drop(a, ["chv1", "chv2"]);
  assertEquals([cache.get(a, "chv1"), cache.size], [undefined, 2]);
  cache.dropWhere((s) => s === b);
  assertEquals(cache.size, 1);
  cache.clear();
  assertEquals(cache.size, 0);
});

Deno.test("PinCache timers expire entries by themselves", async () => {
  const cache = new PinCache({ ttlMs: 20 });
  cache.put({}, "chv1", enc.encode("123456"));
  assertEquals(cache.size, 1);
  await new Promise((r) => setTimeout(r, 60));
  assertEquals(cache.size, 0);
});

Deno.test("CachingPinProvider: asks once, stores what the card accepted, answers later requests", async () => {
  const cache = new PinCache({ ttlMs: 60_000, timers: false });
  const card = {};
  const inner = client(["123456", "123456"]);
  const first = new CachingPinProvider(inner, cache, card);
  const r1 = request({ chvNo: 2 }); // a decryption: VERIFY 82
  assertEquals(dec.decode(await first.get(r1)), "123456");
  assertEquals(cache.size, 0); // not before the card said yes
  first.report(r1, "accepted");
  assertEquals(cache.size, 2); // CHV2, and CHV1 as stock's verify_chv2 verifies both
  // a later signature (CHV1) and decryption (CHV2) get it without asking
  const later = new CachingPinProvider(inner, cache, card);
  for (const chvNo of [1, 2] as const) {
    const r = request({ chvNo });
    assertEquals(dec.decode(await later.get(r)), "123456");
    later.report(r, "accepted");
  }
  assertEquals(inner.asked.length, 1);
  assertEquals(inner.reports, ["user:accepted", "user:accepted", "user:accepted"]);
});

Deno.test("CachingPinProvider: a PIN accepted for signing (CHV1) does not answer CHV2, as stock", async () => {
  const cache = new PinCache({ ttlMs: 60_000, timers: false });
  const card = {};
  const inner = client(["123456", "123456"]);
  const p = new CachingPinProvider(inner, cache, card);
  const sign = request({ chvNo: 1 });
  await p.get(sign);
  p.report(sign, "accepted");
  await p.get(request({ chvNo: 2 }));
  assertEquals(inner.asked.map((r) => r.chvNo), [1, 2]);
});

Deno.test("CachingPinProvider: a rejected PIN is dropped and the next request asks the client", async () => {
  const cache = new PinCache({ ttlMs: 60_000, timers: false });
  const card = {};
  cache.put(card, "chv1", enc.encode("123456"));
  cache.put(card, "chv2", enc.encode("123456"));
  const inner = client(["654321"]);
  const p = new CachingPinProvider(inner, cache, card);
  const r1 = request();
  assertEquals(dec.decode(await p.get(r1)), "123456"); // from the cache
  p.report(r1, "rejected");
  assertEquals(cache.size, 0); // both user PIN entries go
  const r2 = request({ triesLeft: 2 });
  assertEquals(dec.decode(await p.get(r2)), "654321");
  assertEquals(inner.asked, [r2]);
});

Deno.test("CachingPinProvider: fewer than 3 tries, single-use, new/current PINs and reset codes never come from the cache", async () => {
  const cache = new PinCache({ ttlMs: 60_000, timers: false });
  const card = {};
  cache.put(card, "chv1", enc.encode("123456"));
  cache.put(card, "chv3", enc.encode("12345678"));
  const requests = [
    request({ triesLeft: 2 }),
    request({ singleUse: true }),
    request({ purpose: "current" }),
    request({ purpose: "new" }),
    request({ kind: "reset-code", chvNo: 0 }),
    request({ kind: "admin", chvNo: 3, purpose: "new" }),
  ];
  const inner = client(requests.map(() => "999999"));
  const p = new CachingPinProvider(inner, cache, card);
  for (const r of requests) assertEquals(dec.decode(await p.get(r)), "999999");
  assertEquals(inner.asked.length, requests.length);
  // a single-use PIN the card accepted is not stored either
  p.report(requests[1]!, "accepted");
  assertEquals(dec.decode(cache.get(card, "chv1")), "123456");
});

Deno.test("CachingPinProvider with answer=false asks even when cached, and stores the new PIN", async () => {
  const cache = new PinCache({ ttlMs: 60_000, timers: false });
  const card = {};
  cache.put(card, "chv3", enc.encode("12345678"));
  const inner = client(["87654321"]);
  const p = new CachingPinProvider(inner, cache, card, { answer: false });
  const r = request({ kind: "admin", chvNo: 3 });
  assertEquals(dec.decode(await p.get(r)), "87654321");
  p.report(r, "accepted");
  assertEquals(dec.decode(cache.get(card, "chv3")), "87654321");
});

Deno.test("CachingPinProvider: a cancelled prompt stores nothing; dispose wipes unreported copies", async () => {
  const cache = new PinCache({ ttlMs: 60_000, timers: false });
  const card = {};
  const p = new CachingPinProvider(client(["123456"]), cache, card);
  const pin = await p.get(request());
  p[Symbol.dispose](); // the operation failed before VERIFY
  p.report(request(), "accepted"); // a late report for an unknown request stores nothing
  assertEquals([dec.decode(pin), cache.size], ["123456", 0]);
  await assertRejects(() => p.get(request()), /cancelled/);
  assertEquals(cache.size, 0);
});
