/**
 * Same-card protection before any PIN goes out (docs/security.md L2), over the real OpenPGP
 * application and two in-process virtual cards behind one reader whose card the test swaps:
 * a cached PIN is sent only after this transaction read the AID and compared the ATR, and a
 * removal seen by the monitor stops a PIN a person is still typing.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { encodeDigestInfo } from "../../src/formats/mod.ts";
import {
  type CardOperation,
  type CardOperationOptions,
  type CardReaderBackend,
  type ReaderEvent,
  type ReaderState,
  type ReaderWatch,
  VirtualBackend,
} from "../../src/pcsc/mod.ts";
import { buildDaemon, resolveConfig } from "../../src/scd/mod.ts";
import { toHex } from "../../src/util/bytes.ts";
import { VirtualCard } from "../../src/virtual/mod.ts";
import {
  genkey,
  keygripOf,
  pinReply,
  run,
  scdErr,
  serverSession,
  USER_PIN,
} from "./_scd_client.ts";

const READER = "Swap Reader 00";
const DIGEST_INFO = toHex(encodeDigestInfo("sha256", new Uint8Array(32).fill(7)));
const CARD_REMOVED = scdErr(110);

/** One reader whose card the test swaps; events only when the test sends them. */
class SwapReader implements CardReaderBackend {
  readonly kind = "virtual";
  card: VirtualCard;
  #onEvent: ((event: ReaderEvent) => void) | undefined;

  constructor(card: VirtualCard) {
    this.card = card;
  }
  listReaders(): Promise<string[]> {
    return Promise.resolve([READER]);
  }
  #states(): ReaderState[] {
    return [{ reader: READER, card: "present", exclusive: false, atr: this.card.atr, counter: 1 }];
  }
  readerStates(): Promise<ReaderState[]> {
    return Promise.resolve(this.#states());
  }
  /** One in-process backend per card: its operations queue behind each other's. */
  #backends = new Map<VirtualCard, VirtualBackend>();
  withCard<T>(reader: string, fn: CardOperation<T>, options?: CardOperationOptions): Promise<T> {
    let backend = this.#backends.get(this.card);
    if (!backend) {
      backend = new VirtualBackend(this.card, { reader: READER });
      this.#backends.set(this.card, backend);
    }
    return backend.withCard(reader, fn, options);
  }
  /**
   * Resolves once the card is free: another client's operation waits for ours, a burst hold
   * included. A person swaps a card slower than that.
   */
  idle(): Promise<void> {
    return this.withCard(READER, () => Promise.resolve());
  }
  watch(onEvent: (event: ReaderEvent) => void): Promise<ReaderWatch> {
    this.#onEvent = onEvent;
    return Promise.resolve({ states: () => this.#states(), [Symbol.asyncDispose]: async () => {} });
  }
  emit(event: ReaderEvent): void {
    this.#onEvent?.(event);
  }
}

async function daemon() {
  const a = await VirtualCard.open({ serial: 0xa });
  const b = await VirtualCard.open({ serial: 0xb });
  const reader = new SwapReader(a);
  const config = resolveConfig({ env: () => undefined }).config;
  const daemon = await buildDaemon(config, { backend: reader, signalPeer: () => {} });
  const s = await serverSession(daemon.server);
  await run(s, "SERIALNO");
  await genkey(s, 1, "nistp256");
  const grip = await keygripOf(s, 1);
  return {
    a,
    b,
    reader,
    s,
    grip,
    async close() {
      await s.client.close();
      await daemon.close();
    },
  };
}

function verifies(card: VirtualCard): number {
  return card.apduLog.verifies().filter((v) => v.dataLength > 0).length;
}

Deno.test("a cached PIN goes out only after this transaction read the AID", async () => {
  const d = await daemon();
  try {
    await run(d.s, `SETDATA ${DIGEST_INFO}`);
    const first = await run(d.s, `PKSIGN --hash=sha256 ${d.grip}`, { NEEDPIN: [USER_PIN] });
    assertEquals(first.err, undefined);
    await d.reader.idle(); // the next signature in a transaction of its own
    const before = d.a.apduLog.total();
    const seen: string[] = [];
    const transmit = d.a.transmit.bind(d.a);
    d.a.transmit = (apdu: Uint8Array) => (seen.push(toHex(apdu.subarray(0, 4))), transmit(apdu));
    await run(d.s, `SETDATA ${DIGEST_INFO}`);
    const second = await run(d.s, `PKSIGN --hash=sha256 ${d.grip}`);
    assertEquals([second.err, second.inquiries], [undefined, []]); // from the cache
    const verify = seen.findIndex((h) => h.startsWith("0020") && h !== "0020FF81");
    assertEquals(seen.slice(0, verify + 1), ["00A4040C", "00CA004F", "00200081"]);
    assertEquals(d.a.apduLog.total() > before, true);
  } finally {
    await d.close();
  }
});

Deno.test("a cached PIN never reaches another card the monitor did not report", async () => {
  const d = await daemon();
  try {
    await run(d.s, `SETDATA ${DIGEST_INFO}`);
    await run(d.s, `PKSIGN --hash=sha256 ${d.grip}`, { NEEDPIN: [USER_PIN] });
    await d.reader.idle();
    d.reader.card = d.b; // swapped behind our back: same profile, same ATR, another serial
    await run(d.s, `SETDATA ${DIGEST_INFO}`);
    const r = await run(d.s, `PKSIGN --hash=sha256 ${d.grip}`);
    assertEquals(r.err, CARD_REMOVED);
    assertEquals(verifies(d.b), 0);
  } finally {
    await d.close();
  }
});

Deno.test("a removal seen while the person types the PIN stops it from being sent", async () => {
  const d = await daemon();
  try {
    const before = verifies(d.a); // the admin PIN of the key generation
    await run(d.s, `SETDATA ${DIGEST_INFO}`);
    await d.s.client.send(`PKSIGN --hash=sha256 ${d.grip}`);
    const next = async () => (await d.s.client.line()) ?? "EOF";
    let line = await next();
    while (!line.startsWith("INQUIRE NEEDPIN")) line = await next();
    // the card is pulled and put back while the pinentry is up: the same card, but the
    // operation that began before must not go on blindly
    d.reader.emit({ type: "card-removed", reader: READER });
    d.reader.emit({ type: "card-inserted", reader: READER, atr: d.a.atr });
    const pin = pinReply(USER_PIN);
    await d.s.client.send(`D ${new TextDecoder().decode(pin)}`);
    await d.s.client.send("END");
    line = await next();
    while (!/^(OK|ERR|EOF)/.test(line)) line = await next();
    assertEquals(line.split(" ")[1], String(CARD_REMOVED));
    assertEquals(verifies(d.a), before);
  } finally {
    await d.close();
  }
});
