/**
 * Test helpers for src/scd: a scriptable reader backend, a card application that records its
 * calls, and an in-process server with Assuan clients.
 * @module
 */

import { unescapeData } from "../../src/assuan/mod.ts";
import { concat } from "../../src/util/bytes.ts";
import { TestClient } from "./assuan_client.ts";
import type { SessionEnd } from "../../src/assuan/mod.ts";
import {
  type CardApplication,
  type KeyInfo,
  NoApplicationError,
  NoObjectError,
  NotSupportedError,
  type OperationContext,
} from "../../src/app/mod.ts";
import {
  type CardChannel,
  type CardOperation,
  type CardReaderBackend,
  OperationAttempt,
  PcscError,
  type ReaderEvent,
  type ReaderState,
  type ReaderWatch,
} from "../../src/pcsc/mod.ts";
import type { AgentProbe } from "../../src/scd/agent_version.ts";
import type { AppOpener } from "../../src/scd/card_entry.ts";
import { assembleDaemon } from "../../src/scd/assemble.ts";
import type { CardRegistry } from "../../src/scd/cards.ts";
import { resolveConfig, type ScdConfig } from "../../src/scd/config.ts";
import type { ScdServer, SessionOptions } from "../../src/scd/server.ts";

/** `SCARD_E_NO_SMARTCARD` (pcsclite.h). */
const SCARD_E_NO_SMARTCARD = 0x8010000c;

/** A card in a {@linkcode FakeBackend} reader. */
export interface FakeCard {
  /** Serial the {@linkcode FakeApp} reports. */
  serialNo: string;
  atr?: Uint8Array;
  /** APDU handler; default answers 9000 with no data. */
  transmit?: (apdu: Uint8Array) => Uint8Array;
  /** A card without an OpenPGP application: opening the app fails. */
  noApp?: boolean;
  /** The card did not answer its reset (SCARD_STATE_MUTE). */
  mute?: boolean;
  /** Another program holds it with an exclusive connect. */
  exclusive?: boolean;
}

/** A reader backend whose readers and cards tests set directly. */
export class FakeBackend implements CardReaderBackend {
  readonly kind = "fake";
  readers: string[] = [];
  cards = new Map<string, FakeCard>();
  /** Every APDU sent, as uppercase hex. */
  apdus: string[] = [];
  /** Number of withCard calls. */
  operations = 0;
  watchFails = false;
  /** Number of reader-state reads (`readerStates` calls; the monitor's are free). */
  statusReads = 0;
  /** While true the monitor is re-reading after a lost pcscd: `states()` is undefined. */
  resyncing = false;
  /** Monitors started (each start is one status read of its own) and stopped. */
  watchStarts = 0;
  watchStops = 0;
  #onEvent: ((event: ReaderEvent) => void) | undefined;
  /** Per reader: the card object last seen and its event counter (moves when it changes). */
  #counters = new Map<string, { card: FakeCard | undefined; counter: number }>();

  listReaders(): Promise<string[]> {
    return Promise.resolve([...this.readers]);
  }

  /** The readers as pcscd would report them: a new card object is a new insertion. */
  states(): ReaderState[] {
    return this.readers.map((reader) => {
      const card = this.cards.get(reader);
      let seen = this.#counters.get(reader);
      if (!seen || seen.card !== card) {
        seen = { card, counter: (seen?.counter ?? 0) + 1 };
        this.#counters.set(reader, seen);
      }
      const atr = card ? card.atr ?? Uint8Array.of(0x3b, 0x00) : new Uint8Array(0);
      const mute = card?.mute === true;
      return {
        reader,
        card: card ? (mute ? "mute" : "present") : "none",
        exclusive: card?.exclusive === true,
        atr,
        counter: seen.counter,
      };
    });
  }

  readerStates(): Promise<ReaderState[]> {
    this.statusReads++;
    return Promise.resolve(this.states());
  }

  async withCard<T>(reader: string, fn: CardOperation<T>): Promise<T> {
    this.operations++;
    const card = this.cards.get(reader);
    if (!this.readers.includes(reader) || !card) {
      throw new PcscError("SCardConnect", SCARD_E_NO_SMARTCARD, { detail: `in "${reader}"` });
    }
    const apdus = this.apdus;
    const channel: CardChannel = {
      reader,
      atr: card.atr ?? Uint8Array.of(0x3b, 0x00),
      transmit(apdu: Uint8Array) {
        apdus.push([...apdu].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase());
        return Promise.resolve(card.transmit?.(apdu) ?? Uint8Array.of(0x90, 0x00));
      },
    };
    return await fn(channel, new OperationAttempt(1));
  }

  watch(onEvent: (event: ReaderEvent) => void): Promise<ReaderWatch> {
    if (this.watchFails) return Promise.reject(new Error("Cannot watch: test says no"));
    this.watchStarts++;
    this.#onEvent = onEvent;
    return Promise.resolve({
      states: () => this.resyncing ? undefined : this.states(),
      [Symbol.asyncDispose]: () => {
        this.watchStops++;
        if (this.#onEvent === onEvent) this.#onEvent = undefined;
        return Promise.resolve();
      },
    });
  }

  /** Deliver a monitor event. */
  emit(event: ReaderEvent): void {
    this.#onEvent?.(event);
  }
}

/** A card application that records calls and answers from its fields. */
export class FakeApp implements CardApplication {
  readonly appType = "openpgp";
  readonly serialNo: string;
  readonly displaySerialNo: string;
  cardType: string | undefined = undefined;
  calls: string[] = [];
  keys: KeyInfo[] = [];
  invalidated = 0;

  constructor(serialNo: string) {
    this.serialNo = serialNo;
    this.displaySerialNo = `${serialNo.slice(16, 20)} ${serialNo.slice(20, 28)}`;
  }

  async learn(request: { keyPairInfoOnly?: boolean }, ctx: OperationContext): Promise<void> {
    this.calls.push(`learn ${request.keyPairInfoOnly ? "keypairinfo" : "all"}`);
    if (!request.keyPairInfoOnly) await ctx.status.emitRaw("APPTYPE", "openpgp");
    for (const k of this.keys) {
      await ctx.status.emit("KEYPAIRINFO", k.keygrip, k.keyRef, k.usage);
    }
  }
  readKey(request: { keyRef: string }): Promise<Uint8Array> {
    this.calls.push(`readKey ${request.keyRef}`);
    const key = this.keys.find((k) => k.keyRef === request.keyRef || k.keygrip === request.keyRef);
    if (!key) return Promise.reject(new NoObjectError("Cannot read key: none"));
    return Promise.resolve(new TextEncoder().encode(`(10:public-key(3:ecc))`));
  }
  async getAttr(request: { name: string }, ctx: OperationContext): Promise<void> {
    this.calls.push(`getAttr ${request.name}`);
    await ctx.status.emit(request.name, "value with space");
  }
  random(length: number): Promise<Uint8Array> {
    this.calls.push(`random ${length}`);
    return Promise.resolve(new Uint8Array(length).fill(0x25));
  }
  listKeys(): Promise<KeyInfo[]> {
    this.calls.push("listKeys");
    return Promise.resolve(this.keys);
  }
  invalidate(): void {
    this.invalidated++;
  }
  /** Same serial, same card (the OpenPGP app adds ATR and key fingerprints). */
  identity(): string {
    return this.serialNo;
  }
  readCert = unsupported;
  writeCert = unsupported;
  setAttr = unsupported;
  sign = unsupported;
  auth = unsupported;
  decipher = unsupported;
  writeKey = unsupported;
  genKey = unsupported;
  changePin = unsupported;
  checkPin = unsupported;
}

function unsupported(): Promise<never> {
  return Promise.reject(new NotSupportedError("Cannot do that in a fake"));
}

/**
 * An opener that makes a {@linkcode FakeApp} for the card's serial (one card operation); the
 * cards are `fake`'s, by default the registry's backend (unwrapped).
 */
export function fakeOpener(apps: FakeApp[] = [], fake?: FakeBackend): AppOpener {
  return ({ backend, reader }) =>
    backend.withCard(reader, () => {
      const card = (fake ?? backend as unknown as FakeBackend).cards.get(reader)!;
      if (card.noApp) throw new NoApplicationError(0x6a82, "SELECT OpenPGP failed: 6A82");
      const app = new FakeApp(card.serialNo);
      apps.push(app);
      return Promise.resolve(app);
    });
}

/** Options for {@linkcode Harness}. */
export interface HarnessOptions {
  env?: Record<string, string>;
  /** The `reader` setting. */
  readerPort?: string;
  /** How GETINFO version finds the parent gpg-agent (default: the real system). */
  agentProbe?: AgentProbe;
}

/**
 * An in-process scd server over a {@linkcode FakeBackend}, assembled by the daemon's own
 * `assembleDaemon` with the user's defaults (the `env` settings aside). The monitor starts
 * only with {@linkcode Harness.watch}: these tests count the status reads of scans.
 */
export class Harness {
  readonly backend = new FakeBackend();
  readonly apps: FakeApp[] = [];
  readonly cards: CardRegistry;
  readonly server: ScdServer;
  readonly config: ScdConfig;
  /** Signals the server sent: "pid/SIGNAME". */
  readonly signals: string[] = [];

  constructor(options: HarnessOptions = {}) {
    const env = { ...options.env };
    if (options.readerPort) env.SCD_TS_READER = options.readerPort;
    this.config = resolveConfig({ env: (n) => env[n] }).config;
    const daemon = assembleDaemon(this.config, {
      backend: this.backend,
      openApp: fakeOpener(this.apps, this.backend),
      pid: 4242,
      signalPeer: (pid, sig) => this.signals.push(`${pid}/${sig}`),
      ...(options.agentProbe === undefined ? {} : { agentProbe: options.agentProbe }),
    });
    this.cards = daemon.cards;
    this.server = daemon.server;
  }

  /** Put a card with serial `serialNo` into `reader` (added to the reader list). */
  insert(reader: string, serialNo: string, card: Partial<FakeCard> = {}): void {
    if (!this.backend.readers.includes(reader)) this.backend.readers.push(reader);
    this.backend.cards.set(reader, { ...card, serialNo });
  }

  /** Start the registry's monitor (the fake backend's). */
  async watch(): Promise<void> {
    await this.cards.watch();
  }

  /** Open a session; the greeting line is already read. */
  async connect(
    options: SessionOptions = {},
  ): Promise<{ client: TestClient; end: Promise<SessionEnd> }> {
    const client = new TestClient();
    const end = this.server.serve(client.server, options);
    const hello = await client.line();
    // socket sessions add ", process <pid>" like stock's
    if (!/^OK GNU Privacy Guard's Smartcard server ready(, process \d+)?$/.test(hello ?? "")) {
      throw new Error(`Cannot connect: unexpected greeting ${hello}`);
    }
    return { client, end };
  }

  /** Stop the monitor. */
  async close(): Promise<void> {
    this.server.close();
    await this.cards.close();
  }
}

/** A 16-byte OpenPGP AID as hex with the given 8-hex serial (manufacturer FFFE). */
export function aid(serial: string): string {
  return `D276000124010304FFFE${serial}0000`;
}

/**
 * Send `line` and collect the reply: the D payloads joined (unescaped bytes) and the other
 * lines as text, up to and including OK/ERR.
 */
export async function transactData(
  client: TestClient,
  line: string,
): Promise<{ data: Uint8Array; lines: string[] }> {
  await client.send(line);
  const chunks: Uint8Array[] = [];
  const lines: string[] = [];
  for (;;) {
    const bytes = await client.lineBytes();
    if (bytes[0] === 0x44 && bytes[1] === 0x20) {
      chunks.push(unescapeData(bytes.subarray(2)));
      continue;
    }
    const text = new TextDecoder().decode(bytes);
    lines.push(text);
    if (/^(OK|ERR)( |$)/.test(text)) return { data: concat(...chunks), lines };
  }
}
