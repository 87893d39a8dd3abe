/**
 * scd-ts in process for the PKCS#11 tests: the virtual OpenPGP card plus the tokens of the
 * given modules, served to in-memory clients.
 * @module
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { OpenPgpApplication } from "../../src/openpgp/mod.ts";
import { VirtualBackend } from "../../src/pcsc/mod.ts";
import {
  type AppOpener,
  CardRegistry,
  HELLO,
  resolveConfig,
  ScdServer,
  type TokenReaders,
  withPkcs11Tokens,
} from "../../src/scd/mod.ts";
import { VirtualCard } from "../../src/virtual/mod.ts";
import { TestClient } from "../support/assuan_client.ts";

const openPgp: AppOpener = ({ backend, reader }) =>
  OpenPgpApplication.open(
    (fn, options) => backend.withCard(reader, (channel) => fn(channel), options ?? {}),
    { pinPolicy: "strict", allowAdmin: true },
  );

/** scd-ts in process: the virtual OpenPGP card plus the tokens of `modules`. */
export class Daemon implements AsyncDisposable {
  readonly cards: CardRegistry;
  readonly server: ScdServer;
  readonly tokens: TokenReaders;
  #ends: Promise<unknown>[] = [];

  private constructor(cards: CardRegistry, tokens: TokenReaders) {
    this.cards = cards;
    this.tokens = tokens;
    this.server = new ScdServer({
      config: resolveConfig({ env: () => undefined }).config,
      cards,
      signalPeer: () => {},
    });
  }

  static async start(modules: string[]): Promise<Daemon> {
    const card = await VirtualCard.open({});
    const tokens = await withPkcs11Tokens(new VirtualBackend(card), modules);
    const cards = new CardRegistry(tokens.backend, { openApp: tokens.opener(openPgp) });
    await cards.watch();
    return new Daemon(cards, tokens);
  }

  async connect(): Promise<TestClient> {
    const client = new TestClient();
    this.#ends.push(this.server.serve(client.server, {}));
    assertEquals(await client.line(), `OK ${HELLO}`);
    return client;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.server.close();
    await Promise.all(this.#ends);
    await this.cards.close();
    await this.tokens.close();
  }
}
