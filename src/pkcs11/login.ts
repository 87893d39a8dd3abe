/**
 * The user login of one token operation (docs/pkcs11.md "Sessions, PINs and errors"): the PIN
 * is asked before the session opens (never while the token waits), sent once with
 * `C_Login(CKU_USER)` and never resent once rejected; a locked PIN fails before anyone is
 * asked; a token with a PIN pad (CKF_PROTECTED_AUTHENTICATION_PATH) gets a NULL PIN while the
 * client shows stock's PIN pad prompt; a key with CKA_ALWAYS_AUTHENTICATE gets its
 * context-specific login with the same PIN. The PIN is never logged.
 * @module
 */

import { type OperationContext, PinBlockedError, PinError, type PinRequest } from "../app/mod.ts";
import { CKF_TOKEN, CKU_CONTEXT_SPECIFIC, CKU_USER, Pkcs11Error } from "../../ffi/mod.ts";
import { utf8 } from "../util/bytes.ts";
import { tokenLines } from "./access.ts";
import { appError } from "./errors.ts";
import { Token } from "./token.ts";

/** What an operation gets once the user is logged in. */
export interface LoggedIn {
  session: bigint;
  /**
   * `C_Login(CKU_CONTEXT_SPECIFIC)` for a key with CKA_ALWAYS_AUTHENTICATE, right after its
   * `C_SignInit`/`C_DecryptInit` (v2.40 §4.9): the PIN the person gave for this operation (as
   * pkcs11-tool's `--pin` serves both logins), or the PIN pad again. When the user login took
   * the PIN from scd-ts's cache, nobody agreed to this use yet: the PIN is asked for afresh,
   * past the cache (`singleUse`, as stock asks every time for an OpenPGP card's forced
   * signature PIN).
   */
  contextLogin(): Promise<void>;
}

/** The warning lines the token's PIN counter flags add to the prompt. */
export const FINAL_TRY_NOTE = "This is the last try before the PIN is locked";
export const COUNT_LOW_NOTE = "A wrong PIN was entered before: fewer tries are left";

/**
 * The NEEDPIN request for `token` now: the warning of CKF_USER_PIN_FINAL_TRY (and
 * `triesLeft` 1, so no cached PIN answers it) or of CKF_USER_PIN_COUNT_LOW.
 */
export function pinRequest(token: Token, serialNo: string, flags: number): PinRequest {
  const info = token.info;
  let prompt = `||Please enter the PIN of the PKCS#11 token%0A%0A${tokenLines(info)}`;
  const finalTry = (flags & CKF_TOKEN.CKF_USER_PIN_FINAL_TRY) !== 0;
  if (finalTry) prompt += `%0A%0A${FINAL_TRY_NOTE}`;
  else if (flags & CKF_TOKEN.CKF_USER_PIN_COUNT_LOW) prompt += `%0A%0A${COUNT_LOW_NOTE}`;
  const request: PinRequest = {
    prompt,
    promptBytes: utf8(prompt),
    kind: "user",
    purpose: "verify",
    chvNo: 2,
    serialNo,
    minLength: info.minPinLen,
  };
  if (finalTry) request.triesLeft = 1;
  return request;
}

/** `C_Login` with a NULL PIN while the client shows the PIN pad prompt. */
async function padLogin(
  token: Token,
  ctx: OperationContext,
  session: bigint,
  userType: number,
  request: PinRequest,
): Promise<void> {
  const dismiss = await ctx.pinPadPrompt?.(request.prompt);
  try {
    await token.module.login(session, userType, null);
  } finally {
    await dismiss?.();
  }
}

/** The context-specific login with a PIN asked for now, past the cache. */
async function consentLogin(
  token: Token,
  ctx: OperationContext,
  session: bigint,
  userRequest: PinRequest,
): Promise<void> {
  const request: PinRequest = { ...userRequest, singleUse: true };
  const pin = await ctx.pin.get(request);
  try {
    await token.module.login(session, CKU_CONTEXT_SPECIFIC, pin);
    ctx.pin.report?.(request, "accepted");
  } catch (e) {
    const mapped = appError(e);
    if (mapped instanceof PinError || mapped instanceof PinBlockedError) {
      ctx.pin.report?.(request, "rejected");
    }
    throw mapped;
  } finally {
    pin.fill(0);
  }
}

/** One session of `token` (read-write with `rw`) with the user logged in; errors in card terms. */
export async function withLogin<T>(
  token: Token,
  serialNo: string,
  ctx: OperationContext,
  fn: (login: LoggedIn) => Promise<T>,
  rw = false,
): Promise<T> {
  const flags = await token.flags().catch((e) => Promise.reject(appError(e)));
  if (Token.pinLocked(flags)) throw new PinBlockedError("The token's user PIN is locked");
  const request = pinRequest(token, serialNo, flags);
  const pinPad = (flags & CKF_TOKEN.CKF_PROTECTED_AUTHENTICATION_PATH) !== 0;
  const cached = !pinPad && (ctx.pin.canAnswer?.(request) ?? false);
  const pin = pinPad ? undefined : await ctx.pin.get(request);
  const login = (session: bigint, userType: number) =>
    pin
      ? token.module.login(session, userType, pin)
      : padLogin(token, ctx, session, userType, request);
  try {
    return await token.withSession(async (session) => {
      let loggedIn = false;
      try {
        await login(session, CKU_USER);
        loggedIn = true;
      } catch (e) {
        if (!(e instanceof Pkcs11Error && e.code === "CKR_USER_ALREADY_LOGGED_IN")) {
          const mapped = appError(e);
          if (pin && (mapped instanceof PinError || mapped instanceof PinBlockedError)) {
            ctx.pin.report?.(request, "rejected"); // the cache drops it: never sent again
          }
          throw mapped;
        }
      }
      if (pin) ctx.pin.report?.(request, "accepted");
      try {
        return await fn({
          session,
          contextLogin: () =>
            cached
              ? consentLogin(token, ctx, session, request)
              : login(session, CKU_CONTEXT_SPECIFIC),
        });
      } catch (e) {
        throw appError(e);
      } finally {
        if (loggedIn) await token.module.logout(session).catch(() => {});
      }
    }, rw);
  } finally {
    pin?.fill(0);
  }
}
