/**
 * PASSWD on a token and its PIN status (docs/pkcs11.md "PINs"):
 *
 * | request                 | PKCS#11 (read-write session)                     | prompts          |
 * | ----------------------- | ------------------------------------------------ | ---------------- |
 * | `1`, `2`, `P11.USER`    | `C_SetPIN(old, new)` without login               | `\|\|` old, `\|N\|` new |
 * | `--reset` user          | `C_Login(CKU_SO)`, `C_InitPIN(new)`              | `\|A\|` SO, `\|N\|` new |
 * | `3`, `P11.SO`           | `C_Login(CKU_SO, old)`, `C_SetPIN(old, new)`     | `\|A\|` SO, `\|AN\|` new |
 *
 * Every secret is asked for (purpose "current"/"new": never from the cache), sent once, and a
 * rejected one is reported so nothing resends it; afterwards the cached copies of the PIN that
 * changed are forgotten, as the OpenPGP application does.
 *
 * `CHV-STATUS` / `CHV-LABEL` tell gpg-card (tools/gpg-card.c `list_retry_counter`) the state
 * of the user PIN and the SO PIN from CK_TOKEN_INFO's flags, in stock's app-p15 form (one
 * number per PIN: ISO7816_VERIFY_* of scd/iso7816.h when negative). PKCS#11 gives no count,
 * only "locked", "final try" and "count low", so a PIN shows as `[blocked]`, `1` or `-`.
 * @module
 */

import {
  type ChangePinRequest,
  InvalidIdError,
  NotSupportedError,
  type OperationContext,
  PinBlockedError,
  PinError,
  type PinRequest,
  UnsupportedOperationError,
} from "../app/mod.ts";
import { CKF_TOKEN, CKU_SO, initPin, setPin, type TokenInfo } from "../../ffi/mod.ts";
import { utf8, wipe } from "../util/bytes.ts";
import { type TokenAccess, tokenLines } from "./access.ts";
import { appError } from "./errors.ts";
import type { Token } from "./token.ts";

/** scd/iso7816.h ISO7816_VERIFY_NO_PIN / _BLOCKED: gpg-card prints "-" / "[blocked]". */
const NO_INFO = -2;
const BLOCKED = -3;

/** `CHV-STATUS` of a token: user PIN, then SO PIN. */
export function chvStatus(flags: number): string {
  const one = (locked: number, finalTry: number) =>
    flags & locked ? BLOCKED : flags & finalTry ? 1 : NO_INFO;
  const user = flags & CKF_TOKEN.CKF_USER_PIN_INITIALIZED
    ? one(CKF_TOKEN.CKF_USER_PIN_LOCKED, CKF_TOKEN.CKF_USER_PIN_FINAL_TRY)
    : NO_INFO;
  return `${user} ${one(CKF_TOKEN.CKF_SO_PIN_LOCKED, CKF_TOKEN.CKF_SO_PIN_FINAL_TRY)}`;
}

/** `CHV-LABEL`: one word per PIN, in CHV-STATUS order (app-p15 replaces blanks by `_`). */
export const CHV_LABEL = "User_PIN SO_PIN";

/** GETATTR CHV-STATUS / CHV-LABEL (also sent by LEARN). */
export async function chvAttr(token: Token, name: string, ctx: OperationContext) {
  if (name === "CHV-LABEL") return await ctx.status.emitRaw("CHV-LABEL", CHV_LABEL);
  const flags = await token.flags().catch((e) => Promise.reject(appError(e)));
  await ctx.status.emitRaw("CHV-STATUS", chvStatus(flags));
}

type Which = "user" | "so";

/** The PIN a PASSWD reference names: the OpenPGP numbers gpg sends, or P11.USER / P11.SO. */
function pinOf(chvRef: string): Which {
  const ref = chvRef.trim().toUpperCase();
  if (ref === "1" || ref === "2" || ref === "P11.USER") return "user";
  if (ref === "3" || ref === "P11.SO") return "so";
  throw new InvalidIdError(`Cannot change PIN "${chvRef}": use P11.USER or P11.SO`);
}

function request(
  app: TokenAccess,
  info: TokenInfo,
  which: Which,
  purpose: "current" | "new",
): PinRequest {
  const flag = which === "so"
    ? (purpose === "new" ? "|AN|" : "|A|")
    : purpose === "new"
    ? "|N|"
    : "||";
  const what = `${purpose === "new" ? "new " : ""}${
    which === "so" ? "Security Officer PIN (SO PIN)" : "PIN"
  }`;
  const prompt = `${flag}Please enter the ${what} of the PKCS#11 token%0A%0A${tokenLines(info)}`;
  return {
    prompt,
    promptBytes: utf8(prompt),
    kind: which === "so" ? "admin" : "user",
    purpose,
    chvNo: which === "so" ? 3 : 2,
    serialNo: app.serialNo,
    minLength: info.minPinLen,
  };
}

/** Ask for `r`; a PIN outside the token's length range fails before the token sees it. */
async function ask(ctx: OperationContext, r: PinRequest, info: TokenInfo): Promise<Uint8Array> {
  const pin = await ctx.pin.get(r);
  const max = info.maxPinLen > 0 ? info.maxPinLen : Infinity;
  if (pin.length < r.minLength || pin.length > max) {
    wipe(pin);
    throw new PinError(`Cannot use a PIN of other than ${r.minLength} to ${max} characters`, {
      reason: "too-short",
    });
  }
  return pin;
}

/** Run a token call; a refused PIN is reported for `asked` (so it is never resent). */
async function sent<T>(ctx: OperationContext, asked: PinRequest, call: Promise<T>): Promise<T> {
  try {
    const result = await call;
    ctx.pin.report?.(asked, "accepted");
    return result;
  } catch (e) {
    const mapped = appError(e);
    if (mapped instanceof PinError || mapped instanceof PinBlockedError) {
      ctx.pin.report?.(asked, "rejected");
    }
    throw mapped;
  }
}

/** PASSWD [--reset] <chvref> on a token. */
export async function changePin(
  app: TokenAccess,
  req: ChangePinRequest,
  ctx: OperationContext,
): Promise<void> {
  if (req.clear) throw new UnsupportedOperationError("Cannot clear a PKCS#11 login status");
  if (req.nullPin) throw new NotSupportedError("A PKCS#11 token has no NullPIN");
  const which = pinOf(req.chvRef);
  if (req.reset && which === "so") throw new InvalidIdError("Cannot reset the SO PIN");
  const token = app.tokens[0]!;
  const flags = await token.flags().catch((e) => Promise.reject(appError(e)));
  const soNeeded = req.reset || which === "so";
  if (flags & (soNeeded ? CKF_TOKEN.CKF_SO_PIN_LOCKED : CKF_TOKEN.CKF_USER_PIN_LOCKED)) {
    throw new PinBlockedError(`The token's ${soNeeded ? "SO" : "user"} PIN is locked`);
  }
  const info = token.info;
  const secrets: Uint8Array[] = [];
  try {
    const oldRequest = request(app, info, soNeeded ? "so" : "user", "current");
    const old = await ask(ctx, oldRequest, info);
    secrets.push(old);
    const fresh = await ask(ctx, request(app, info, which, "new"), info);
    secrets.push(fresh);
    await token.withSession(async (session) => {
      if (!soNeeded) return await sent(ctx, oldRequest, setPin(token.module, session, old, fresh));
      await sent(ctx, oldRequest, token.module.login(session, CKU_SO, old));
      try {
        if (req.reset) await initPin(token.module, session, fresh);
        else await setPin(token.module, session, old, fresh);
      } catch (e) {
        throw appError(e);
      } finally {
        await token.module.logout(session).catch(() => {});
      }
    }, true);
  } finally {
    for (const s of secrets) wipe(s);
    // copies of the PIN that changed (or may have) must not be sent again
    ctx.pin.forget?.(which === "so" ? "admin" : "user");
  }
}
