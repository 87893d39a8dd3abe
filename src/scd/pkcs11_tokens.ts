/**
 * PKCS#11 tokens beside the PC/SC readers (issue 23, docs/pkcs11.md). With `pkcs11-module`
 * set, the reader backend is wrapped: every initialised token shows as one more reader named
 * `PKCS#11 <module file> <label> (slot <n>)` (tokens of one serial, such as OpenSC's slot per
 * PIN of one card, share one reader), always holding its "card", and the opener gives
 * such a reader a PKCS#11 application instead of OpenPGP. The registry, SERIALNO --all,
 * KEYINFO --list and the keygrip lookups then treat tokens like cards, without knowing them.
 * Tokens come before the PC/SC readers, so after a scan a PC/SC card stays the current one
 * (the registry makes the last one found current, as stock does).
 *
 * src/pkcs11 (and through it the modules) is imported on first use only: without the setting
 * nothing of it is loaded. Which tokens exist is read when the monitor starts and on every
 * reader-state read; while the monitor runs, a new token is seen at most 5 s later.
 * @module
 */

import type { Pkcs11Application, Token, TokenSource } from "../pkcs11/mod.ts";
import { UnsupportedOperationError } from "../app/mod.ts";
import { getLog } from "../log.ts";
import type {
  CardOperation,
  CardOperationOptions,
  CardReaderBackend,
  ReaderEvent,
  ReaderState,
  ReaderWatch,
  WatchOptions,
} from "../pcsc/mod.ts";
import { utf8 } from "../util/bytes.ts";
import type { AppOpener } from "./card_entry.ts";
import type { ScdConfig } from "./config.ts";

const log = getLog("scd");

/** How often the token list is read again while the monitor answers the scans. */
const REFRESH_MS = 5_000;

/** The module paths of `pkcs11-module` / SCD_TS_PKCS11_MODULE (colon-separated, repeatable). */
export function pkcs11ModulePaths(config: Pick<ScdConfig, "values">): string[] {
  return (config.values.get("pkcs11-module") ?? "").split(":").map((p) => p.trim())
    .filter((p) => p !== "");
}

/** A reader backend with tokens, and the opener that knows them. */
export interface TokenReaders {
  backend: CardReaderBackend;
  /** Wraps the card opener: token readers get a PKCS#11 application. */
  opener(next: AppOpener): AppOpener;
  /** C_Finalize the modules (daemon exit). */
  close(): Promise<void>;
}

/** Wrap `inner` so the tokens of `paths` show as readers (see the module header). */
export async function withPkcs11Tokens(
  inner: CardReaderBackend,
  paths: readonly string[],
): Promise<TokenReaders> {
  const pkcs11 = await import("../pkcs11/mod.ts");
  const source = new pkcs11.TokenSource(paths);
  const tokens = new TokenReaderSet(source);
  const backend: CardReaderBackend = {
    kind: inner.kind,
    async listReaders(options) {
      return (await tokens.withInner(inner.readerStates(options ?? {}))).map((s) => s.reader);
    },
    async readerStates(options) {
      return await tokens.withInner(inner.readerStates(options ?? {}));
    },
    withCard<T>(reader: string, fn: CardOperation<T>, options?: CardOperationOptions) {
      if (tokens.has(reader)) {
        return Promise.reject(
          new UnsupportedOperationError(`Cannot send APDUs to ${reader}: a PKCS#11 token`),
        );
      }
      return inner.withCard(reader, fn, options);
    },
    async watch(onEvent: (event: ReaderEvent) => void, options?: WatchOptions) {
      await tokens.refresh();
      const watch = await inner.watch(onEvent, options);
      return {
        states(): ReaderState[] | undefined {
          const states = watch.states();
          return states && [...tokens.states(true), ...states];
        },
        [Symbol.asyncDispose]: () => watch[Symbol.asyncDispose](),
      } satisfies ReaderWatch;
    },
  };
  return {
    backend,
    opener(next: AppOpener): AppOpener {
      return async (request) => {
        const group = tokens.get(request.reader);
        if (!group) return await next(request);
        const app: Pkcs11Application = new pkcs11.Pkcs11Application(group);
        return app;
      };
    },
    close: () => source.close(),
  };
}

/**
 * The reader name of the tokens one device shows under one serial (OpenSC: a slot per PIN of an
 * OpenPGP card): the first one's, with every slot number.
 */
function groupReaderName(group: readonly Token[]): string {
  const first = group[0]!;
  if (group.length === 1) return first.readerName;
  const file = first.module.path.split("/").pop();
  return `PKCS#11 ${file} ${first.info.label} (slots ${group.map((t) => t.slot).join(", ")})`;
}

/** The tokens last found, grouped by serial, by reader name. */
class TokenReaderSet {
  #source: TokenSource;
  #tokens = new Map<string, Token[]>();
  #readAt = 0;
  #refreshing: Promise<void> | undefined;
  #told = new Set<string>();

  constructor(source: TokenSource) {
    this.#source = source;
  }

  has(reader: string): boolean {
    return this.#tokens.has(reader);
  }

  get(reader: string): Token[] | undefined {
    return this.#tokens.get(reader);
  }

  /** Read the token list again (one read at a time). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#source.scan().then(({ tokens, problems }) => {
      // each problem once: the list is read again every few seconds
      for (const problem of problems.filter((p) => !this.#told.has(p))) {
        this.#told.add(problem);
        log.warning("{problem}", { problem });
      }
      const bySerial = Map.groupBy(tokens, (t) => t.serialNo);
      this.#tokens = new Map([...bySerial.values()].map((g) => [groupReaderName(g), g]));
      this.#readAt = Date.now();
    }).finally(() => this.#refreshing = undefined);
    return this.#refreshing;
  }

  /**
   * One "present" state per token; its ATR is the token serial, so a token that comes back
   * under the same name is the same insertion. `background` starts a refresh when the list is
   * older than {@linkcode REFRESH_MS} (the monitor's synchronous states cannot wait for it).
   */
  states(background = false): ReaderState[] {
    if (background && Date.now() - this.#readAt > REFRESH_MS) void this.refresh().catch(() => {});
    return [...this.#tokens].map(([reader, group]) => ({
      reader,
      card: "present",
      exclusive: false,
      atr: utf8(group[0]!.serialNo),
      counter: 0,
    }));
  }

  /** Token states first, then the PC/SC readers' (none when PC/SC fails but tokens exist). */
  async withInner(inner: Promise<ReaderState[]>): Promise<ReaderState[]> {
    const [pcsc] = await Promise.allSettled([inner, this.refresh()]);
    const tokens = this.states();
    if (pcsc.status === "fulfilled") return [...tokens, ...pcsc.value];
    if (tokens.length === 0) throw pcsc.reason;
    log.debug("No PC/SC readers ({error}); serving the PKCS#11 tokens", { error: pcsc.reason });
    return tokens;
  }
}
