/**
 * The reader layer against real pcscd + vsmartcard-vpcd + the virtual OpenPGP card.
 * See `_bed.ts` for which pcscd is used.
 */

import assert from "node:assert/strict";
import { toHex } from "../../src/util/bytes.ts";
import {
  isCardGone,
  PcscBackend,
  PcscContext,
  PcscError,
  type ReaderEvent,
  ReaderMonitor,
  type ReaderState,
  withCard,
} from "../../src/pcsc/mod.ts";
import { type PcscBed, startBed } from "./_bed.ts";
import { tryExclusive, waitForCard } from "../bed/exclusive_client.ts";

// SELECT OpenPGP application, no FCI (P2=0C); GET DATA 4F (full AID).
const SELECT = Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, 0x06, 0xd2, 0x76, 0x00, 0x01, 0x24, 0x01);
const GET_AID = Uint8Array.of(0x00, 0xca, 0x00, 0x4f, 0x00);

function sw(resp: Uint8Array): string {
  return toHex(resp.subarray(resp.length - 2));
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function hasCard(states: ReaderState[] | undefined, reader: string): boolean {
  return states?.some((s) => s.reader === reader && s.card === "present") ?? false;
}

function nextEvent(events: ReaderEvent[], pred: (e: ReaderEvent) => boolean, ms = 10000) {
  const deadline = Date.now() + ms;
  return (async () => {
    while (Date.now() < deadline) {
      const i = events.findIndex(pred);
      if (i >= 0) return events.splice(0, i + 1)[i]!;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`No matching reader event within ${ms} ms; have ${JSON.stringify(events)}`);
  })();
}

Deno.test("reader layer against pcscd + vpcd + virtual card", async (t) => {
  const bed: PcscBed = await startBed();
  const R = bed.reader;
  try {
    const present = await waitForCard(R, true);
    const atr = present.atr;
    assert.ok(atr.length > 2, "card ATR");

    await t.step("PcscContext.listReaders() lists vpcd's readers", async () => {
      await using ctx = await PcscContext.establish();
      const readers = await ctx.listReaders();
      assert.ok(readers.includes("Virtual PCD 00 00"), readers.join(", "));
      assert.ok(readers.includes("Virtual PCD 00 01"), readers.join(", "));
    });

    await t.step(
      "PcscBackend.readerStates(): the card's reader present, the empty one none",
      async () => {
        const states = await new PcscBackend().readerStates();
        const byName = new Map(states.map((s) => [s.reader, s]));
        assert.equal(byName.get(R)?.card, "present");
        assert.ok((byName.get(R)?.atr.length ?? 0) > 0);
        assert.equal(byName.get("Virtual PCD 00 01")?.card, "none");
        assert.equal(byName.get("Virtual PCD 00 01")?.atr.length, 0);
      },
    );

    await t.step("withCard() selects OpenPGP and reads the AID in one transaction", async () => {
      const aid = await withCard(R, async (channel) => {
        assert.equal(channel.reader, R);
        assert.equal(toHex(channel.atr), toHex(atr));
        assert.equal(sw(await channel.transmit(SELECT)), "9000");
        return await channel.transmit(GET_AID);
      });
      assert.equal(sw(aid), "9000");
      assert.match(toHex(aid), /^D27600012401/);
    });

    await t.step("withCard() holds the card while it runs and nothing after", async () => {
      // the probe works: a held shared handle makes an exclusive request fail
      {
        await using ctx = await PcscContext.establish();
        await using _card = await ctx.connectShared(R);
        assert.equal(await tryExclusive(R), "SCARD_E_SHARING_VIOLATION");
      }
      assert.equal(await tryExclusive(R), "SCARD_S_SUCCESS");
      // pcscd makes another client's SCardConnect wait while our transaction is open
      let connected = false;
      let other: Promise<void> | undefined;
      await withCard(R, async (ch) => {
        other = (async () => {
          await using ctx = await PcscContext.establish();
          await using _card = await ctx.connectShared(R);
          connected = true;
        })();
        await new Promise((r) => setTimeout(r, 400));
        assert.equal(connected, false, "other client connected during our transaction");
        assert.equal(sw(await ch.transmit(SELECT)), "9000");
      });
      await other;
      assert.equal(connected, true);
      assert.equal(await tryExclusive(R), "SCARD_S_SUCCESS");
      // also after an operation that failed inside fn
      await assert.rejects(withCard(R, () => Promise.reject(new RangeError("boom"))), RangeError);
      assert.equal(await tryExclusive(R), "SCARD_S_SUCCESS");
    });

    await t.step("connectShared() coexists with opensc-tool and a second context", async () => {
      await using a = await PcscContext.establish();
      await using cardA = await a.connectShared(R);
      const index = (await a.listReaders()).indexOf(R);
      const out = await new Deno.Command("opensc-tool", {
        args: ["-r", String(index), "-a"],
        env: bed.childEnv,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout).replaceAll(":", "").toUpperCase();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.ok(text.includes(toHex(atr)), text);
      await using b = await PcscContext.establish();
      await using cardB = await b.connectShared(R);
      {
        await using txB = await cardB.beginTransaction();
        assert.equal(sw(await txB.channel.transmit(SELECT)), "9000");
      }
      // (SCardStatus on A would wait while B's transaction is open: pcscd serializes it too)
      assert.equal(toHex((await cardA.status()).atr), toHex(atr));
    });

    await t.step("a transaction makes another client's transaction wait", async () => {
      await using a = await PcscContext.establish();
      await using b = await PcscContext.establish();
      const cardA = await a.connectShared(R);
      const cardB = await b.connectShared(R);
      const txA = await cardA.beginTransaction();
      let began = false;
      const pending = cardB.beginTransaction().then((tx) => ((began = true), tx));
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(began, false, "B must wait for A's transaction");
      assert.equal(sw(await txA.channel.transmit(SELECT)), "9000");
      await txA.end();
      const txB = await pending;
      assert.equal(sw(await txB.channel.transmit(SELECT)), "9000");
      await txB.end();
    });

    await t.step("a reset by another client surfaces as SCARD_W_RESET_CARD", async () => {
      await using a = await PcscContext.establish();
      await using b = await PcscContext.establish();
      const cardA = await a.connectShared(R);
      const cardB = await b.connectShared(R);
      await cardB.reconnect({ initialization: "reset" });
      const err = await cardA.beginTransaction().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof PcscError, String(err));
      assert.equal(err.code, "SCARD_W_RESET_CARD");
      assert.ok(isCardGone(err));
      // the next operation needs no retry: it gets a fresh handle
      const attempts: number[] = [];
      await withCard(R, async (ch, at) => (attempts.push(at.number), await ch.transmit(SELECT)));
      assert.deepEqual(attempts, [1]);
    });

    await t.step("withCard() retries once after the card was pulled mid-operation", async () => {
      const attempts: number[] = [];
      const retried: string[] = [];
      const resp = await withCard(R, async (ch, attempt) => {
        attempts.push(attempt.number);
        assert.equal(sw(await ch.transmit(SELECT)), "9000");
        if (attempt.number === 1) {
          await bed.card.control({ cmd: "remove" });
          await waitForCard(R, false);
          await bed.card.control({ cmd: "insert" });
          await waitForCard(R, true);
        }
        return await ch.transmit(GET_AID);
      }, { onRetry: (e) => retried.push(e instanceof PcscError ? e.code : String(e)) });
      assert.deepEqual(attempts, [1, 2]);
      assert.equal(retried.length, 1);
      assert.match(retried[0]!, /^SCARD_(W_REMOVED_CARD|W_RESET_CARD|E_INVALID_HANDLE)$/);
      assert.equal(sw(resp), "9000");
      assert.equal(await tryExclusive(R), "SCARD_S_SUCCESS");
    });

    await t.step("ReaderMonitor reports card removal and insertion", async () => {
      const events: ReaderEvent[] = [];
      const errors: unknown[] = [];
      await using monitor = await ReaderMonitor.start({
        onEvent: (e) => events.push(e),
        onError: (e) => errors.push(e),
      });
      const snap = monitor.snapshot().find((s) => s.reader === R);
      assert.equal(snap?.present, true);
      await bed.card.control({ cmd: "remove" });
      await nextEvent(events, (e) => e.type === "card-removed" && e.reader === R);
      await bed.card.control({ cmd: "insert" });
      const ins = await nextEvent(events, (e) => e.type === "card-inserted" && e.reader === R);
      assert.equal(toHex((ins as { atr: Uint8Array }).atr), toHex(atr));
      assert.deepEqual(errors, []);
      // a transmit on the APDU path is not held up by the monitor's wait
      await withCard(R, (ch) => ch.transmit(SELECT));
    });

    await t.step({
      name: "pcscd stopping: clear error, monitor reports it, recovery after restart",
      ignore: !bed.ownsPcscd,
      fn: async () => {
        const events: ReaderEvent[] = [];
        const errors: unknown[] = [];
        await using monitor = await ReaderMonitor.start({
          onEvent: (e) => events.push(e),
          onError: (e) => errors.push(e),
          reconnectDelayMs: 200,
        });
        await bed.stopPcscd();
        await assert.rejects(
          withCard(R, (ch) => ch.transmit(SELECT), { retryDelayMs: 50 }),
          (e: unknown) =>
            e instanceof PcscError &&
            e.message ===
              "Cannot establish PC/SC context: pcscd is not running (SCARD_E_NO_SERVICE)",
        );
        // a service loss, not a removal per card: whether the card that comes back is the
        // same one is for its application to prove (docs/reliability.md, F5a)
        await nextEvent(events, (e) => e.type === "service-lost");
        assert.equal(monitor.states(), undefined);
        assert.equal(
          errors.length,
          1,
          `service loss reported once: ${errors.map(String).join("; ")}`,
        );
        await bed.startPcscd();
        await nextEvent(events, (e) => e.type === "service-restored", 15000);
        // vpcd's card reconnects to the new pcscd by itself, maybe a little later
        for (let i = 0; i < 150 && !hasCard(monitor.states(), R); i++) await delay(100);
        assert.equal(hasCard(monitor.states(), R), true);
        assert.equal(sw(await withCard(R, (ch) => ch.transmit(SELECT))), "9000");
      },
    });

    await t.step("PcscContext.establish() says pcscd is not running (no socket)", async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-ffi",
          "--allow-env",
          new URL("./_establish_probe.ts", import.meta.url).pathname,
        ],
        env: { PCSCLITE_CSOCK_NAME: "/nonexistent/scd-ts/pcscd.comm" },
        cwd: new URL("../../", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(
        new TextDecoder().decode(out.stdout).trim(),
        "Cannot establish PC/SC context: pcscd is not running (SCARD_E_NO_SERVICE)",
        new TextDecoder().decode(out.stderr),
      );
    });
  } finally {
    await bed.stop();
  }
});
