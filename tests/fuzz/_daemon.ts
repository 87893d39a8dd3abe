/**
 * The daemon under fuzz: the real scd-ts command server, the real OpenPGP application and
 * card registry, and the in-process virtual card behind the in-process reader backend (no
 * pcscd, no gpg), assembled by the daemon's own buildDaemon with the user's defaults. Two test-only wrappers sit in the card
 * path: {@linkcode MutatingCard} lets a case rewrite every response the card gives, and
 * {@linkcode CountingBackend} counts card operations (transactions) still open.
 *
 * Every case gets a fresh daemon over a fresh card loaded from the same prepared state, so a
 * case never depends on the ones before it (`SCD_TS_FUZZ_CASE=n` replays it alone).
 * @module
 */

import { TestClient } from "../support/assuan_client.ts";
import {
  type CardOperation,
  type CardOperationOptions,
  type CardReaderBackend,
  type InProcessCard,
  type ReaderEvent,
  type ReaderState,
  type ReaderWatch,
  VirtualBackend,
} from "../../src/pcsc/mod.ts";
import {
  buildDaemon,
  type Daemon,
  HELLO,
  resolveConfig,
  type ScdServer,
} from "../../src/scd/mod.ts";
import { VirtualCard } from "../../src/virtual/mod.ts";

/** Rewrites one card response; `command` is the APDU it answers. */
export type ResponseMutator = (command: Uint8Array, response: Uint8Array) => Uint8Array;

/** The card as the backend sees it, with an optional response mutator in between. */
export class MutatingCard implements InProcessCard {
  readonly #card: VirtualCard;
  /** Set by a card case; undefined passes responses through. */
  mutate: ResponseMutator | undefined;
  /** Responses the mutator changed in this case. */
  mutated = 0;

  constructor(card: VirtualCard) {
    this.#card = card;
  }

  get atr(): Uint8Array {
    return this.#card.atr;
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const response = await this.#card.transmit(apdu);
    if (!this.mutate) return response;
    const out = this.mutate(apdu, response);
    if (out !== response) this.mutated++;
    return out;
  }
}

/** A reader backend that counts the card operations running right now. */
export class CountingBackend implements CardReaderBackend {
  readonly kind = "virtual";
  readonly #inner: VirtualBackend;
  /** Card operations entered and not yet left. */
  open = 0;

  constructor(inner: VirtualBackend) {
    this.#inner = inner;
  }

  get reader(): string {
    return this.#inner.reader;
  }

  listReaders(options?: { signal?: AbortSignal }): Promise<string[]> {
    return this.#inner.listReaders(options);
  }

  withCard<T>(reader: string, fn: CardOperation<T>, options?: CardOperationOptions): Promise<T> {
    return this.#inner.withCard(reader, async (channel, attempt) => {
      this.open++;
      try {
        return await fn(channel, attempt);
      } finally {
        this.open--;
      }
    }, options);
  }

  readerStates(): Promise<ReaderState[]> {
    return this.#inner.readerStates();
  }

  watch(onEvent: (event: ReaderEvent) => void): Promise<ReaderWatch> {
    return this.#inner.watch(onEvent);
  }
}

/** Resolves with "timeout" after `ms` unless `promise` settles first (its error rethrown). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One daemon over one card, for one case. */
export class FuzzDaemon {
  readonly card: MutatingCard;
  readonly backend: CountingBackend;
  readonly daemon: Daemon;

  private constructor(card: MutatingCard, backend: CountingBackend, daemon: Daemon) {
    this.card = card;
    this.backend = backend;
    this.daemon = daemon;
  }

  get server(): ScdServer {
    return this.daemon.server;
  }

  /** A daemon over a card loaded from `statePath` (the card writes its changes back). */
  static async open(statePath: string): Promise<FuzzDaemon> {
    const card = new MutatingCard(await VirtualCard.open({ statePath }));
    const backend = new CountingBackend(new VirtualBackend(card));
    const config = resolveConfig({ env: () => undefined }).config;
    const daemon = await buildDaemon(config, { backend, signalPeer: () => {} });
    return new FuzzDaemon(card, backend, daemon);
  }

  /** A new session; resolves once the greeting has been read. */
  async connect(): Promise<{ client: TestClient; end: Promise<unknown> }> {
    const client = new TestClient();
    const end = this.server.serve(client.server);
    const hello = await client.line();
    if (hello !== `OK ${HELLO}`) throw new Error(`Cannot connect: greeting was ${hello}`);
    return { client, end };
  }

  /**
   * Ends the burst holds as the daemon does at exit (with the user's default `hold` a card
   * operation stays open up to 500 ms after its reply, by design; burst_hold_test.ts checks
   * that it ends by itself). False when one has not ended within `ms`: a held operation stuck
   * on the card's answers.
   */
  async endHolds(ms: number): Promise<boolean> {
    const ending = Promise.all(
      this.daemon.cards.cards.map((card) => card.app?.release?.().catch(() => {})),
    );
    return (await within(ending, ms)) !== "timeout";
  }

  /**
   * Whether the card is free: no operation open, and a fresh one runs within `ms` (the
   * backend serializes operations, so a stuck one would hold it up).
   */
  async cardIdle(ms: number): Promise<boolean> {
    if (this.backend.open !== 0) return false;
    const probe = this.backend.withCard(this.backend.reader, () => Promise.resolve(true));
    return (await within(probe.catch(() => false), ms)) === true;
  }

  async close(): Promise<void> {
    await this.daemon.close();
  }
}
