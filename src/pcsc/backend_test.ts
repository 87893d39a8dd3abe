import assert from "node:assert/strict";
import { FakePcsc } from "../../tests/support/fake_pcsc.ts";
import type { CardReaderBackend } from "./backend.ts";
import { PcscBackend } from "./pcsc_backend.ts";
import { VIRTUAL_READER_NAME, VirtualBackend } from "./virtual_backend.ts";

const OK = Uint8Array.of(0x90, 0x00);

function slowCard(log: string[]) {
  return {
    atr: Uint8Array.of(0x3b, 0x00),
    async transmit(apdu: Uint8Array): Promise<Uint8Array> {
      log.push(`>${apdu[1]}`);
      await new Promise((r) => setTimeout(r, 2));
      log.push(`<${apdu[1]}`);
      return OK;
    },
  };
}

Deno.test("VirtualBackend lists one reader and runs operations one at a time", async () => {
  const log: string[] = [];
  const backend: CardReaderBackend = new VirtualBackend(slowCard(log));
  assert.deepEqual(await backend.listReaders(), [VIRTUAL_READER_NAME]);
  const op = (ins: number) => (ch: { transmit(a: Uint8Array): Promise<Uint8Array> }) =>
    ch.transmit(Uint8Array.of(0, ins, 0, 0)).then(() => ch.transmit(Uint8Array.of(0, ins, 1, 0)));
  await Promise.all([
    backend.withCard(VIRTUAL_READER_NAME, op(1)),
    backend.withCard(VIRTUAL_READER_NAME, op(2)),
  ]);
  assert.deepEqual(log, [">1", "<1", ">1", "<1", ">2", "<2", ">2", "<2"]);
});

Deno.test("VirtualBackend takes the card's reader name and rejects others", async () => {
  const card = { ...slowCard([]), reader: "Virtual OpenPGP Card (in-process)" };
  const backend = new VirtualBackend(card, { reader: "Test Reader" });
  assert.equal(backend.reader, "Test Reader");
  await assert.rejects(backend.withCard("Other", (ch) => ch.transmit(OK)), /no such reader/);
});

Deno.test("VirtualBackend closes the channel when the operation ends and honours abort", async () => {
  const backend = new VirtualBackend(slowCard([]));
  let leaked: { transmit(a: Uint8Array): Promise<Uint8Array> } | undefined;
  await backend.withCard(VIRTUAL_READER_NAME, (ch) => {
    leaked = ch;
    return Promise.resolve();
  });
  await assert.rejects(leaked!.transmit(OK), /operation has ended/);
  const ac = new AbortController();
  ac.abort(new Error("CAN"));
  await assert.rejects(
    backend.withCard(VIRTUAL_READER_NAME, (ch) => ch.transmit(OK), { signal: ac.signal }),
    /CAN/,
  );
  await using _watch = await backend.watch(() => {});
});

Deno.test("PcscBackend lists readers and runs withCard with its defaults", async () => {
  const f = new FakePcsc(["Fake Reader 00"]);
  f.insert("Fake Reader 00", Uint8Array.of(0x3b), () => OK);
  const backend = new PcscBackend({ library: f, retryDelayMs: 0 });
  assert.equal(backend.kind, "pcsc");
  assert.deepEqual(await backend.listReaders(), ["Fake Reader 00"]);
  assert.deepEqual(await backend.withCard("Fake Reader 00", (ch) => ch.transmit(OK)), OK);
  assert.equal(f.openContexts, 0);
  assert.equal(f.openHandles, 0);
});

Deno.test({
  name: "src/pcsc/mod.ts imports without FFI permission",
  permissions: { ffi: false, read: true, env: true },
  async fn() {
    assert.notEqual((await Deno.permissions.query({ name: "ffi" })).state, "granted");
    const mod = await import("./mod.ts");
    assert.equal(typeof mod.withCard, "function");
    // the library is only loaded on first use, which then names the missing permission
    await assert.rejects(mod.PcscContext.establish(), /--allow-ffi/);
  },
});
