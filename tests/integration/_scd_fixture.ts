/**
 * In-process scd-ts for integration tests: the virtual OpenPGP card behind the in-process
 * reader backend, the real OpenPGP application and card registry, and Assuan clients on
 * in-memory pipes (no pcscd, no gpg). Built the way main.ts builds the daemon.
 * @module
 */

import { type SessionEnd, TestClient, unescapeData } from "../../src/assuan/mod.ts";
import { concat } from "../../src/util/bytes.ts";
import { OpenPgpApplication } from "../../src/openpgp/mod.ts";
import { VirtualBackend } from "../../src/pcsc/mod.ts";
import {
  type AppOpener,
  CardRegistry,
  HELLO,
  resolveConfig,
  ScdServer,
  type SessionOptions,
} from "../../src/scd/mod.ts";
import { VirtualCard, type VirtualCardOptions } from "../../src/virtual/mod.ts";

/** The opener main.ts uses (strict PIN policy, admin allowed). */
const openApp: AppOpener = ({ backend, reader }) =>
  OpenPgpApplication.open(
    (fn, options) => backend.withCard(reader, (channel) => fn(channel), options ?? {}),
    { pinPolicy: "strict", allowAdmin: true },
  );

/** A daemon over one in-process virtual card. */
export class ScdFixture {
  readonly card: VirtualCard;
  readonly backend: VirtualBackend;
  readonly cards: CardRegistry;
  readonly server: ScdServer;

  private constructor(card: VirtualCard) {
    this.card = card;
    this.backend = new VirtualBackend(card);
    this.cards = new CardRegistry(this.backend, { openApp });
    this.server = new ScdServer({
      config: resolveConfig({ env: () => undefined }).config,
      cards: this.cards,
      signalPeer: () => {},
    });
  }

  /** A fresh card (in memory unless `statePath` is given) and a watching registry. */
  static async open(card: VirtualCardOptions = {}): Promise<ScdFixture> {
    const f = new ScdFixture(await VirtualCard.open(card));
    await f.cards.watch();
    return f;
  }

  /** A new session; the greeting is checked and consumed. */
  async connect(options: SessionOptions = {}): Promise<Session> {
    const client = new TestClient();
    const end = this.server.serve(client.server, options);
    const hello = await client.line();
    if (hello !== `OK ${HELLO}`) throw new Error(`Cannot connect: greeting was ${hello}`);
    return new Session(client, end);
  }

  async close(): Promise<void> {
    this.server.close();
    await this.cards.close();
  }
}

/** One client session. */
export class Session {
  readonly client: TestClient;
  readonly end: Promise<SessionEnd>;

  constructor(client: TestClient, end: Promise<SessionEnd>) {
    this.client = client;
    this.end = end;
  }

  /** Send a command, return its reply lines (status, data, OK/ERR). */
  transact(line: string): Promise<string[]> {
    return this.client.transact(line);
  }

  /** Send a command; its D payloads joined as bytes and the other lines as text. */
  async transactData(line: string): Promise<{ data: Uint8Array; lines: string[] }> {
    await this.client.send(line);
    const chunks: Uint8Array[] = [];
    const lines: string[] = [];
    for (;;) {
      const bytes = await this.client.lineBytes();
      if (bytes[0] === 0x44 && bytes[1] === 0x20) {
        chunks.push(unescapeData(bytes.subarray(2)));
        continue;
      }
      const text = new TextDecoder().decode(bytes);
      lines.push(text);
      if (/^(OK|ERR)( |$)/.test(text)) return { data: concat(...chunks), lines };
    }
  }

  /** Answer an INQUIRE NEEDPIN the way gpg-agent does: PIN, NUL padding to 90 bytes, END. */
  async answerPin(pin: string): Promise<string[]> {
    const padded = pin + "\0".repeat(90 - pin.length);
    await this.client.send(`D ${padded}`);
    return await this.client.transact("END");
  }

  async close(): Promise<SessionEnd> {
    await this.client.close();
    return await this.end;
  }
}
