/**
 * VpcdClient against a fake vpcd: a TCP listener on 127.0.0.1 that speaks vpcd's framing.
 * Needs --allow-net.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  encodeFrame,
  FrameDecoder,
  VPCD_CTRL_ATR,
  VPCD_CTRL_OFF,
  VPCD_CTRL_ON,
  VPCD_CTRL_RESET,
  VpcdClient,
  type VpcdTarget,
} from "../../src/virtual/vpcd.ts";

const ATR = Uint8Array.of(0x3b, 0xda, 0x18, 0xff, 0x81, 0xb1);

class FakeCard implements VpcdTarget {
  readonly atr = ATR;
  readonly calls: string[] = [];
  fail = false;
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    this.calls.push(`apdu ${apdu.length}`);
    if (this.fail) return Promise.reject(new Error("boom"));
    const out = new Uint8Array(apdu.length + 2);
    out.set(apdu);
    out.set([0x90, 0x00], apdu.length);
    return Promise.resolve(out);
  }
  powerOn(): void {
    this.calls.push("on");
  }
  powerOff(): void {
    this.calls.push("off");
  }
  reset(): void {
    this.calls.push("reset");
  }
}

/** Server side of one vpcd connection. */
class Peer {
  readonly #conn: Deno.Conn;
  readonly #decoder = new FrameDecoder();
  readonly #queue: Uint8Array[] = [];
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  async send(payload: Uint8Array): Promise<void> {
    await this.#conn.write(encodeFrame(payload));
  }
  async sendRaw(bytes: Uint8Array): Promise<void> {
    await this.#conn.write(bytes);
  }
  /** Next message from the card, or null at EOF. */
  async receive(): Promise<Uint8Array | null> {
    const buf = new Uint8Array(4096);
    while (this.#queue.length === 0) {
      const n = await this.#conn.read(buf);
      if (n === null) return null;
      this.#queue.push(...this.#decoder.push(buf.subarray(0, n)));
    }
    return this.#queue.shift()!;
  }
  close(): void {
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }
}

function listen(port = 0): Deno.TcpListener {
  return Deno.listen({ hostname: "127.0.0.1", port });
}

function portOf(l: Deno.Listener): number {
  return (l.addr as Deno.NetAddr).port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

Deno.test("VpcdClient answers ATR requests and APDUs, and control codes get no answer", async () => {
  using listener = listen();
  const card = new FakeCard();
  await using client = new VpcdClient(card, { port: portOf(listener), reconnectMs: 50 });
  client.start();
  const peer = new Peer(await listener.accept());
  await peer.send(Uint8Array.of(VPCD_CTRL_ATR));
  assertEquals(await peer.receive(), ATR);
  await peer.send(Uint8Array.of(VPCD_CTRL_ON));
  await peer.send(Uint8Array.of(VPCD_CTRL_RESET));
  await peer.send(Uint8Array.of(VPCD_CTRL_OFF));
  await peer.send(Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x01, 0xd2));
  // The next message is the APDU's answer: the three control codes produced nothing.
  assertEquals(await peer.receive(), Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x01, 0xd2, 0x90, 0x00));
  assertEquals(card.calls, ["on", "reset", "off", "apdu 6"]);
  assert(client.connected);
  peer.close();
});

Deno.test("VpcdClient handles messages split across writes and batched in one write", async () => {
  using listener = listen();
  const card = new FakeCard();
  await using client = new VpcdClient(card, { port: portOf(listener) });
  client.start();
  const peer = new Peer(await listener.accept());
  const apdu = encodeFrame(Uint8Array.of(0x00, 0xca, 0x00, 0x6e, 0x00));
  for (const b of apdu) await peer.sendRaw(Uint8Array.of(b));
  assertEquals((await peer.receive())!.length, 7);
  await peer.sendRaw(Uint8Array.of(...encodeFrame(Uint8Array.of(4)), ...apdu));
  assertEquals(await peer.receive(), ATR);
  assertEquals((await peer.receive())!.length, 7);
  peer.close();
});

Deno.test("VpcdClient answers 6F00 when the card throws", async () => {
  using listener = listen();
  const card = new FakeCard();
  card.fail = true;
  await using client = new VpcdClient(card, { port: portOf(listener) });
  client.start();
  const peer = new Peer(await listener.accept());
  await peer.send(Uint8Array.of(0x00, 0x2a, 0x9e, 0x9a, 0x00));
  assertEquals(await peer.receive(), Uint8Array.of(0x6f, 0x00));
  peer.close();
});

Deno.test("VpcdClient reconnects after vpcd drops the connection and powers the card off", async () => {
  using listener = listen();
  const card = new FakeCard();
  const changes: boolean[] = [];
  await using client = new VpcdClient(card, {
    port: portOf(listener),
    reconnectMs: 50,
    onConnectionChange: (c) => changes.push(c),
  });
  client.start();
  const first = new Peer(await listener.accept());
  first.close();
  const second = new Peer(await listener.accept());
  await second.send(Uint8Array.of(VPCD_CTRL_ATR));
  assertEquals(await second.receive(), ATR);
  assertEquals(changes, [true, false, true]);
  assertEquals(card.calls, ["off"]);
  second.close();
});

Deno.test("VpcdClient keeps retrying while nothing listens on the port", async () => {
  const probe = listen();
  const port = portOf(probe);
  probe.close();
  const card = new FakeCard();
  await using client = new VpcdClient(card, { port, reconnectMs: 50 });
  client.start();
  await sleep(300);
  assert(!client.connected);
  using listener = listen(port);
  const peer = new Peer(await listener.accept());
  await peer.send(Uint8Array.of(VPCD_CTRL_ATR));
  assertEquals(await peer.receive(), ATR);
  assert(client.connected);
  peer.close();
});

Deno.test("VpcdClient.remove() disconnects and stays away until insert()", async () => {
  using listener = listen();
  const card = new FakeCard();
  await using client = new VpcdClient(card, { port: portOf(listener), reconnectMs: 50 });
  client.start();
  const first = new Peer(await listener.accept());
  client.remove();
  assertEquals(await first.receive(), null); // vpcd sees EOF: card removed
  assert(!client.connected && !client.inserted);
  let accepted = false;
  const next = listener.accept().then((c) => {
    accepted = true;
    return c;
  });
  await sleep(400);
  assert(!accepted, "reconnected while removed");
  client.insert();
  const second = new Peer(await next);
  await second.send(Uint8Array.of(VPCD_CTRL_ATR));
  assertEquals(await second.receive(), ATR);
  first.close();
  second.close();
});

Deno.test("VpcdClient.close() ends the loop while waiting to reconnect", async () => {
  const probe = listen();
  const port = portOf(probe);
  probe.close();
  const client = new VpcdClient(new FakeCard(), { port, reconnectMs: 10_000 });
  client.start();
  await sleep(50);
  const t0 = performance.now();
  await client.close();
  assert(performance.now() - t0 < 1000);
});
