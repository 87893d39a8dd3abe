/**
 * How an OpenPGP application call meets the card (design.md §2.4):
 *
 * - **Questions** (LEARN without --force, GETATTR, READKEY, KEYINFO, READCERT) are first
 *   answered from the card-state model with no APDU; status lines are held back until the
 *   answer is complete, so a model that lacks something falls through to one transaction
 *   without having sent half an answer.
 * - **Card work** runs in one transaction: SELECT, the operation, then the strict PIN
 *   policy's reset. When the operation needs a PIN that only a person can give, the
 *   transaction ends first ({@linkcode PinNeededError}), the person is asked with no
 *   transaction open, and the operation starts over in a new transaction that re-SELECTs and
 *   uses the answer. Nothing the card counts or keeps is sent before the PIN request, so
 *   starting over repeats only reads.
 * - **Same card before any PIN** (cached or just typed): the transaction that sends it first
 *   reads the AID afresh and compares it and the ATR with the card the application was opened
 *   on; once the registry retired the application (the card was removed or swapped, even
 *   during this operation) no PIN goes out at all. docs/security.md L2.
 * @module
 */

import type {
  OperationContext,
  PinKind,
  PinOutcome,
  PinProvider,
  PinQuery,
  PinRequest,
  StatusSink,
} from "../app/mod.ts";
import { CardChangedError } from "../app/mod.ts";
import type { CardChannel, ExchangeObserver } from "../iso7816/mod.ts";
import { equalBytes, wipe } from "../util/bytes.ts";
import type { ApplicationRelatedData } from "./ard.ts";
import type { CardState } from "./card_state.ts";
import { HeldTransaction } from "./burst_hold.ts";
import type { Op } from "./op.ts";
import { clearVerifications, PinResetMemo } from "./pin_reset.ts";
import { CardNeededError, modelOnlyChannel, OpenPgpSession } from "./session.ts";

/** Runs `fn` with exclusive use of the card (one PC/SC transaction) and releases it. */
export type CardConnector = <T>(
  fn: (channel: CardChannel) => Promise<T>,
  options?: { signal?: AbortSignal },
) => Promise<T>;

/** What a runner needs from its application. */
export interface RunnerOptions {
  connect: CardConnector;
  cardState: CardState;
  /** Reader and ATR of the card, for sessions that answer from the model. */
  reader: string;
  atr: Uint8Array;
  /** The AID (DO 4F) of the card the application was opened on: the same-card check. */
  aid: Uint8Array;
  /** Builds the operation's working set on a session. */
  makeOp: (session: OpenPgpSession, ard: ApplicationRelatedData, ctx: OperationContext) => Op;
  /** Clear every verification at the end of a transaction (strict policy, pin_reset.ts). */
  strict: boolean;
  /** Burst hold: keep the transaction this long after an operation (0: end it at once). */
  holdMs?: number;
  /** Burst hold: end it this long after it began, however busy (default burst_hold.ts's). */
  holdMaxMs?: number;
  observer?: ExchangeObserver | undefined;
  signal?: AbortSignal | undefined;
}

/** The operation needs a PIN only a person can give: end the transaction, ask, start over. */
export class PinNeededError extends Error {
  override name = "PinNeededError";
  readonly request: PinRequest;
  constructor(request: PinRequest) {
    super("PIN needed from the client");
    this.request = request;
  }
}

/** Runs application calls from the model or in transactions (see the module header). */
export class OpRunner {
  #o: RunnerOptions;
  #held: { queue: HeldTransaction<OpenPgpSession>; over: Promise<void> } | undefined;
  /** How this card's verifications are cleared (strict policy), learned once per card. */
  #pinReset = new PinResetMemo();
  /** The card left its reader: no PIN goes out on this runner's behalf any more. */
  #retired = false;
  /** Sessions whose card proved to be ours in their transaction. */
  #proven = new WeakSet<OpenPgpSession>();

  constructor(options: RunnerOptions) {
    this.#o = options;
  }

  /** A question: from the model when it knows the answer, else one transaction. */
  async query<T>(ctx: OperationContext, fn: (op: Op) => Promise<T>): Promise<T> {
    const ard = this.#o.cardState.ard;
    if (ard) {
      const held = new HeldStatus();
      const session = new OpenPgpSession(modelOnlyChannel(this.#o.reader, this.#o.atr), {
        cardState: this.#o.cardState,
        fromModel: true,
      });
      const op = this.#o.makeOp(session, ard, { ...ctx, status: held, pin: NO_PERSON });
      let value: T;
      try {
        value = await fn(op);
      } catch (e) {
        if (e instanceof CardNeededError || e instanceof PinNeededError) return this.run(ctx, fn);
        await held.release(ctx.status);
        throw e;
      }
      await held.release(ctx.status);
      return value;
    }
    return this.run(ctx, fn);
  }

  /** Card work: one transaction, or one per PIN a person has to give plus the last one. */
  async run<T>(ctx: OperationContext, fn: (op: Op) => Promise<T>): Promise<T> {
    const answers = new GivenAnswers(ctx.pin);
    try {
      for (;;) {
        try {
          return await this.#transaction({ ...ctx, pin: answers }, fn);
        } catch (e) {
          if (!(e instanceof PinNeededError)) throw e;
          await answers.ask(e.request); // no transaction is open here
        }
      }
    } finally {
      answers.wipe();
    }
  }

  async #transaction<T>(ctx: OperationContext, fn: (op: Op) => Promise<T>): Promise<T> {
    const queued = this.#held?.queue.submit(
      (session) => this.#inSession(session, ctx, fn),
      () => this.#transaction(ctx, fn),
    );
    if (queued) return await queued;
    if ((this.#o.holdMs ?? 0) > 0) return await this.#holding(ctx, fn);
    const signal = ctx.signal ?? this.#o.signal;
    return await this.#o.connect(
      (channel) => this.#opened(channel, signal, (s) => this.#inSession(s, ctx, fn)),
      signal ? { signal } : {},
    );
  }

  /** SELECT, `body`, then the strict policy's reset. */
  async #opened<T>(
    channel: CardChannel,
    signal: AbortSignal | undefined,
    body: (session: OpenPgpSession) => Promise<T>,
  ): Promise<T> {
    const session = new OpenPgpSession(channel, {
      cardState: this.#o.cardState,
      ...(signal ? { signal } : {}),
      ...(this.#o.observer ? { observer: this.#o.observer } : {}),
    });
    await session.select();
    // taken now: a write in `body` empties the model, and the reset must not depend on it
    const { appVersion } = (await session.applicationRelatedData()).aid;
    let value: T;
    try {
      value = await body(session);
    } catch (e) {
      // the operation's own error is what the caller hears; the card is cleared all the same
      if (this.#o.strict) {
        await clearVerifications(session, channel, this.#pinReset, appVersion).catch(() => {});
      }
      throw e;
    }
    if (this.#o.strict) await clearVerifications(session, channel, this.#pinReset, appVersion);
    return value;
  }

  async #inSession<T>(
    session: OpenPgpSession,
    ctx: OperationContext,
    fn: (op: Op) => Promise<T>,
  ): Promise<T> {
    const ard = await session.applicationRelatedData();
    const pin = this.#sameCardFirst(session, ctx.pin);
    return await fn(this.#o.makeOp(session, ard, { ...ctx, pin }));
  }

  /** `pins`, but a PIN is handed out only once this session's card proved to be ours. */
  #sameCardFirst(session: OpenPgpSession, pins: PinProvider): PinProvider {
    return {
      canAnswer: (query) => pins.canAnswer?.(query) ?? false,
      report: (request, outcome) => pins.report?.(request, outcome),
      forget: (kind) => pins.forget?.(kind),
      get: async (request) => {
        const pin = await pins.get(request); // may end the transaction to ask a person
        try {
          await this.#checkSameCard(session);
        } catch (e) {
          wipe(pin);
          throw e;
        }
        return pin;
      },
    };
  }

  /**
   * The first operation of a possible burst: its result goes to the caller at once, then the
   * transaction stays for the next operations until the hold ends (burst_hold.ts). A failed
   * held operation ends the hold before its caller hears of it, so a PIN prompt that follows
   * never waits inside the transaction. No abort signal: the transaction outlives the caller.
   */
  #holding<T>(ctx: OperationContext, fn: (op: Op) => Promise<T>): Promise<T> {
    const queue = new HeldTransaction<OpenPgpSession>(
      this.#o.holdMs ?? 0,
      this.#o.holdMaxMs !== undefined ? { maxMs: this.#o.holdMaxMs } : {},
    );
    let failed: { reject: (e: unknown) => void; error: unknown } | undefined;
    return new Promise<T>((resolve, reject) => {
      let answered = false;
      const over = this.#o.connect((channel) =>
        this.#opened(channel, undefined, async (session) => {
          resolve(await this.#inSession(session, ctx, fn));
          answered = true;
          this.#held = { queue, over };
          for (let job = await queue.next(); job; job = await queue.next()) {
            try {
              job.resolve(await job.run(session));
            } catch (error) {
              failed = { reject: job.reject, error };
              break;
            }
          }
        })
      ).then(() => {}, (e) => {
        if (!answered) reject(e);
      }).finally(() => {
        if (this.#held?.queue === queue) this.#held = undefined;
        queue.close();
        failed?.reject(failed.error);
      });
    });
  }

  /** End a held transaction now (daemon exit, card invalidated); resolves once it is over. */
  async release(): Promise<void> {
    const held = this.#held;
    if (!held) return;
    held.queue.close();
    await held.over;
  }

  /** The card left its reader (registry): fail every PIN still to be sent, now or later. */
  retire(): void {
    this.#retired = true;
  }

  /** Before a PIN goes out: this transaction's card must be the one the application knows. */
  async #checkSameCard(session: OpenPgpSession): Promise<void> {
    if (this.#retired) throw new CardChangedError("Cannot go on: the card was removed");
    if (this.#proven.has(session)) return;
    const now = await session.getData(0x4f, { fresh: true }).catch(() => undefined);
    if (!now || !equalBytes(this.#o.aid, now) || !equalBytes(this.#o.atr, session.atr)) {
      this.#o.cardState.invalidate();
      throw new CardChangedError("Cannot go on: another card is in the reader");
    }
    this.#proven.add(session);
  }
}

/** Status lines held back until an answer from the model is complete. */
class HeldStatus implements StatusSink {
  #lines: { raw: boolean; keyword: string; args: (string | Uint8Array)[] }[] = [];

  emit(keyword: string, ...args: (string | Uint8Array)[]): void {
    this.#lines.push({ raw: false, keyword, args });
  }

  emitRaw(keyword: string, text: string): void {
    this.#lines.push({ raw: true, keyword, args: [text] });
  }

  async release(to: StatusSink): Promise<void> {
    for (const l of this.#lines) {
      if (l.raw) await to.emitRaw(l.keyword, l.args[0] as string);
      else await to.emit(l.keyword, ...l.args);
    }
    this.#lines = [];
  }
}

/** Questions never need a PIN; if one does, it is not a question (go to the card). */
const NO_PERSON: PinProvider = {
  get: (request) => Promise.reject(new PinNeededError(request)),
  canAnswer: () => false,
};

/** Which answer a request is: the same secret asked for the same purpose. */
function answerKey(q: PinQuery): string {
  return `${q.kind}/${q.purpose}/${q.chvNo}`;
}

/**
 * The provider an operation sees inside a transaction: answers given by the person earlier
 * (between transactions) and whatever the outer provider can answer without a person (its
 * cache); anything else ends the transaction with {@linkcode PinNeededError}.
 */
class GivenAnswers implements PinProvider {
  #outer: PinProvider;
  #given = new Map<string, { request: PinRequest; pin: Uint8Array }>();

  constructor(outer: PinProvider) {
    this.#outer = outer;
  }

  get size(): number {
    return this.#given.size;
  }

  canAnswer(query: PinQuery): boolean {
    return this.#given.has(answerKey(query)) || (this.#outer.canAnswer?.(query) ?? false);
  }

  get(request: PinRequest): Promise<Uint8Array> {
    const given = this.#given.get(answerKey(request));
    if (given) return Promise.resolve(given.pin.slice());
    if (this.#outer.canAnswer?.(request)) return this.#outer.get(request);
    return Promise.reject(new PinNeededError(request));
  }

  report(request: PinRequest, outcome: PinOutcome): void {
    // the outer provider knows the request it was asked with, not this transaction's copy
    const given = this.#given.get(answerKey(request));
    this.#outer.report?.(given?.request ?? request, outcome);
  }

  forget(kind: PinKind): void {
    this.#outer.forget?.(kind);
  }

  /** Ask the outer provider (the person, through gpg-agent) with no transaction open. */
  async ask(request: PinRequest): Promise<void> {
    const key = answerKey(request);
    wipe(this.#given.get(key)?.pin);
    this.#given.set(key, { request, pin: await this.#outer.get(request) });
  }

  wipe(): void {
    for (const g of this.#given.values()) wipe(g.pin);
    this.#given.clear();
  }
}
