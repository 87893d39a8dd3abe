/**
 * The PIN context of the commands that use PINs (PKSIGN, PKAUTH, PKDECRYPT, CHECKPIN,
 * PASSWD and the admin commands): INQUIRE NEEDPIN behind scd-ts's PIN cache
 * ({@linkcode PinCache}, the daemon's one, entries per card connection), and the touch
 * prompt for keys with user interaction (UIF) turned on.
 *
 * Touch prompt: stock asks gpg-agent to show "Push ACK button on card/token." with
 * `INQUIRE POPUPPINPADPROMPT --ack` while the card waits, and closes it with
 * `INQUIRE DISMISSPINPADPROMPT` (gpg/gnupg:scd/command.c `popup_prompt`); it learns of the
 * wait only through its own CCID driver (a time extension with 0xFF, ccid-driver.c
 * `bulk_in`), never through PC/SC. scd-ts knows the wait from the card instead: the
 * application calls `touchPending` right before the command the card holds until touched
 * (it knows the key's UIF setting from its card model), and the prompt closes when the
 * operation is over.
 * @module
 */

import type { OperationContext } from "../../app/mod.ts";
import { getLog } from "../../log.ts";
import type { CardEntry } from "../card_entry.ts";
import type { CardRegistry } from "../cards.ts";
import type { ScdContext } from "../command.ts";
import type { ScdConfig } from "../config.ts";
import { processEnv } from "../paths.ts";
import { CachingPinProvider, DEFAULT_PIN_TTL_MS, parseDuration, PinCache } from "./cache.ts";
import { inquirePinProvider } from "./inquire.ts";

const log = getLog("scd");

/** The environment variable with the cache TTL (wins over `pin-cache-ttl`). */
export const PIN_TTL_ENV = "SCD_TS_PIN_TTL";

/** Words that turn the cache off, besides a duration of `0`. */
const PIN_CACHE_OFF = /^\s*(?:off|none|no)\s*$/i;

/**
 * The cache TTL in ms: `SCD_TS_PIN_TTL`, else config `pin-cache-ttl`, else 10 minutes. `0`,
 * `off`, `none` and `no` turn the cache off. An unreadable value turns it off too: a user who
 * wrote one meant to change the default, most likely to shorten it, so keeping PINs for ten
 * minutes would fail open (issue 17 L5).
 */
export function pinTtlMs(
  config: ScdConfig,
  env: (name: string) => string | undefined = processEnv,
): number {
  const text = env(PIN_TTL_ENV) || config.values.get("pin-cache-ttl");
  if (text === undefined || text === "") return DEFAULT_PIN_TTL_MS;
  if (PIN_CACHE_OFF.test(text)) return 0;
  const ms = parseDuration(text);
  if (ms === undefined) {
    log.warning("Cannot read PIN cache TTL {value}; the PIN cache is off", { value: text });
    return 0;
  }
  return ms;
}

/**
 * The daemon's PIN cache, made once with its card registry (ScdServer; `scd-ts ssh-agent`
 * makes its own with its `-t`) and handed to every command in its context: entries of cards that are no longer current (removed, swapped,
 * RESET) are dropped on every registry change. `close` stops that and wipes the PINs.
 */
export function pinCacheWithRegistry(
  cards: CardRegistry,
  config: ScdConfig,
  ttlMs: number = pinTtlMs(config),
): { cache: PinCache; close(): void } {
  const cache = new PinCache({ ttlMs });
  const unsubscribe = cards.onChange((change) => {
    if (change.dropped) cache.drop(change.dropped);
    cache.dropWhere((scope) => !cards.isCurrent(scope as CardEntry));
  });
  return {
    cache,
    close() {
      unsubscribe();
      cache.clear();
    },
  };
}

/** Options of {@linkcode cardOperation}. */
export interface CardOperationOptions {
  /** Always ask the client (stock forces entry here), though still remember what works. */
  fresh?: boolean;
}

/** An application call's context plus the cleanup the handler must await. */
export interface PinContext extends AsyncDisposable {
  readonly ctx: OperationContext;
}

/**
 * The {@linkcode OperationContext} for a PIN-using call on `card`: PINs through the cache,
 * and the ACK prompt when the application reports a touch pending. `await using` it, so the prompt is
 * dismissed and PIN copies are wiped before the command replies.
 */
export function cardOperation(
  ctx: ScdContext,
  card: CardEntry,
  options: CardOperationOptions = {},
): PinContext {
  const base = ctx.operation();
  ctx.pins.dropWhere((scope) => !ctx.cards.isCurrent(scope as CardEntry));
  const cached = new CachingPinProvider(
    inquirePinProvider(ctx.conn),
    ctx.pins,
    card,
    {
      answer: !options.fresh,
      onAnswer: (request, source) =>
        log.debug("PIN for CHV{chv} from the {source}", { chv: request.chvNo, source }),
    },
  );
  const touch = new TouchPrompt(ctx);
  return {
    ctx: {
      ...base,
      pin: cached,
      touchPending: () => touch.open(),
      pinPadPrompt: (prompt) => pinPadPrompt(ctx, prompt),
    },
    async [Symbol.asyncDispose]() {
      cached[Symbol.dispose]();
      await touch.close();
    },
  };
}

/**
 * A PIN pad entry: `INQUIRE POPUPPINPADPROMPT <prompt>` (the NEEDPIN prompt, flags and all)
 * before the device waits, `INQUIRE DISMISSPINPADPROMPT` after (gpg/gnupg:scd/command.c
 * `pin_cb` without a return buffer, as app-openpgp.c `verify_a_chv` calls it for a pinpad
 * reader). A refused popup fails the operation, as in stock; a failed dismissal is ignored.
 */
async function pinPadPrompt(ctx: ScdContext, prompt: string): Promise<() => Promise<void>> {
  log.debug("PIN pad entry; asking the client to show the prompt");
  (await ctx.conn.inquire("POPUPPINPADPROMPT", prompt, { maxLength: 100 })).fill(0);
  return async () => {
    try {
      (await ctx.conn.inquire("DISMISSPINPADPROMPT", "", { maxLength: 100 })).fill(0);
    } catch (e) {
      log.debug("DISMISSPINPADPROMPT failed: {error}", { error: e });
    }
  };
}

/** `POPUPPINPADPROMPT --ack` … `DISMISSPINPADPROMPT`, at most once per operation. */
class TouchPrompt {
  #ctx: ScdContext;
  #popup: Promise<boolean> | undefined;

  constructor(ctx: ScdContext) {
    this.#ctx = ctx;
  }

  /** Ask the client to show the prompt (the card op goes on meanwhile). */
  open(): void {
    if (this.#popup) return;
    log.debug("Card waits for a touch; asking the client to show the prompt");
    this.#popup = this.#inquire("POPUPPINPADPROMPT", "--ack");
  }

  /** Dismiss the prompt if it was shown. */
  async close(): Promise<void> {
    if (!this.#popup) return;
    const shown = await this.#popup;
    if (shown) await this.#inquire("DISMISSPINPADPROMPT", "");
  }

  /** Stock ignores the answer and any error (`popup_prompt`); so do we. */
  async #inquire(keyword: string, args: string): Promise<boolean> {
    try {
      const reply = await this.#ctx.conn.inquire(keyword, args, { maxLength: 100 });
      reply.fill(0);
      return true;
    } catch (e) {
      log.debug("{keyword} not shown: {error}", { keyword, error: e });
      return false;
    }
  }
}
