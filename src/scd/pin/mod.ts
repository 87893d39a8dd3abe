/**
 * PINs in the daemon, from gpg-agent to the card. One signature's PIN travels:
 *
 * ```
 * handler (commands/pksign.ts)       await using op = cardOperation(ctx, card)   context.ts
 *   └─ application.sign(…, op.ctx)     asks op.ctx.pin for the PIN it needs
 *        ├─ runner (openpgp)           asks between transactions, never inside one
 *        └─ CachingPinProvider         answers from the daemon's PinCache (ctx.pins)  cache.ts
 *             └─ inquirePinProvider    else INQUIRE NEEDPIN to gpg-agent               inquire.ts
 * card: VERIFY → the application reports "accepted" (stored) or "rejected" (dropped, never
 * resent); a PIN change, new key attributes or a KDF switch make it call `forget`.
 * ```
 *
 * The cache is made once with the card registry (ScdServer, {@linkcode pinCacheWithRegistry})
 * and passed to every command in `ScdContext.pins`; handlers never touch it themselves.
 * Rules: docs/pin-policy.md.
 * @module
 */

export {
  CachingPinProvider,
  DEFAULT_PIN_TTL_MS,
  parseDuration,
  PinCache,
  type PinSource,
} from "./cache.ts";
export {
  cardOperation,
  type CardOperationOptions,
  PIN_TTL_ENV,
  pinCacheWithRegistry,
  type PinContext,
  pinTtlMs,
} from "./context.ts";
export { inquirePinProvider, MAX_PIN_REPLY } from "./inquire.ts";
