/**
 * In-process scd-ts for integration tests: the virtual OpenPGP card behind the in-process
 * reader backend, the real OpenPGP application and card registry, and Assuan clients on
 * in-memory pipes (no pcscd, no gpg). Built by the daemon's own assembly (scd/assemble.ts)
 * with the user's defaults — strict PIN policy, burst hold — unless a test sets others.
 * @module
 */

import type { SessionEnd } from "../../src/assuan/mod.ts";
import { TestClient } from "../support/assuan_client.ts";
import { transactData } from "../support/scd_harness.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import { type InProcessCard, VirtualBackend } from "../../src/pcsc/mod.ts";
import {
  buildDaemon,
  type CardRegistry,
  type Daemon,
  HELLO,
  resolveConfig,
  type ScdServer,
  type SessionOptions,
} from "../../src/scd/mod.ts";
import { VirtualCard, type VirtualCardOptions } from "../../src/virtual/mod.ts";

/** Options of {@linkcode ScdFixture.open}. */
export interface FixtureOptions {
  /** Settings as `SCD_TS_*` variables (none: the user's defaults). */
  env?: Record<string, string>;
  /** The card as the reader sees it (default the card itself). */
  inProcess?: (card: VirtualCard) => InProcessCard;
}

/** A daemon over one in-process virtual card, assembled as main.ts assembles it. */
export class ScdFixture {
  readonly card: VirtualCard;
  readonly daemon: Daemon;

  private constructor(card: VirtualCard, daemon: Daemon) {
    this.card = card;
    this.daemon = daemon;
  }

  get cards(): CardRegistry {
    return this.daemon.cards;
  }

  get server(): ScdServer {
    return this.daemon.server;
  }

  /** A fresh card (in memory unless `statePath` is given) and a watching registry. */
  static async open(card: VirtualCardOptions = {}, options: FixtureOptions = {}) {
    const virtual = await VirtualCard.open(card);
    const env = options.env ?? {};
    const daemon = await buildDaemon(resolveConfig({ env: (n) => env[n] }).config, {
      backend: new VirtualBackend(options.inProcess?.(virtual) ?? virtual),
      signalPeer: () => {},
    });
    return new ScdFixture(virtual, daemon);
  }

  /** A new session; the greeting is checked and consumed. */
  async connect(options: SessionOptions = {}): Promise<Session> {
    const client = new TestClient();
    const end = this.server.serve(client.server, options);
    const hello = await client.line();
    if (hello !== `OK ${HELLO}`) throw new Error(`Cannot connect: greeting was ${hello}`);
    return new Session(client, end);
  }

  /**
   * Another PC/SC client: sends `apdus` in a card operation of its own, which waits for ours
   * (a burst hold included) as pcscd makes it wait; returns each answer's status word as hex.
   */
  async other(...apdus: (string | Uint8Array)[]): Promise<string[]> {
    const backend = this.daemon.backend;
    const [reader] = await backend.listReaders();
    return await backend.withCard(reader!, async (channel) => {
      const out: string[] = [];
      for (const apdu of apdus) {
        const response = await channel.transmit(typeof apdu === "string" ? fromHex(apdu) : apdu);
        out.push(toHex(response.subarray(-2)));
      }
      return out;
    });
  }

  /** Resolves once the card is free (a burst hold over): {@linkcode other} with no APDU. */
  async idle(): Promise<void> {
    await this.other();
  }

  async close(): Promise<void> {
    await this.daemon.close();
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
  transactData(line: string): Promise<{ data: Uint8Array; lines: string[] }> {
    return transactData(this.client, line);
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
