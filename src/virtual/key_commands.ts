/**
 * Private-key commands of the virtual card: PSO:CDS and PSO:DECIPHER (spec 3.4 §7.2.10,
 * §7.2.11), INTERNAL AUTHENTICATE (§7.2.13), GENERATE ASYMMETRIC KEY PAIR (§7.2.14) and key
 * import through PUT DATA odd 3FFF (extended header list 4D). Access rules and user interaction live here;
 * the arithmetic is in crypto.ts.
 * @module
 */

import { fromHex } from "../util/bytes.ts";
import {
  SW_BAD_DATA,
  SW_INCORRECT_P1P2,
  SW_REF_NOT_FOUND,
  SW_SECURITY_STATUS,
} from "../iso7816/sw.ts";
import { parseTlvs, TlvSyntaxError } from "../iso7816/tlv.ts";
import { type CommandApdu, StatusError } from "./command_apdu.ts";
import { type AppletContext, NO_DATA } from "./context.ts";
import * as crypto from "./crypto.ts";
import { clearKeySlot } from "./put_data.ts";

/** Control reference template tag → key slot (B6 signature, B8 decryption, A4 authentication). */
const CRT_SLOT: ReadonlyMap<number, number> = new Map([[0xb6, 0], [0xb8, 1], [0xa4, 2]]);
const MAX_COUNTER = 0xffffff;

function withCrypto<T>(operation: () => T): T {
  try {
    return operation();
  } catch (e) {
    if (e instanceof crypto.CardCryptoError) throw new StatusError(e.sw, e.message);
    throw e;
  }
}

function parseOrBadData<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof TlvSyntaxError) throw new StatusError(SW_BAD_DATA, e.message);
    throw e;
  }
}

/** Check the PIN state, find the key, then wait for touch (UIF). */
async function useKey(
  ctx: AppletContext,
  slot: number,
  needs: "pw1Sign" | "pw1Other",
): Promise<crypto.CardKey> {
  if (!ctx.session[needs]) throw new StatusError(SW_SECURITY_STATUS);
  const state = ctx.store.state.keys[slot]!;
  if (!state.key) throw new StatusError(SW_REF_NOT_FOUND, `No key in slot ${slot + 1}`);
  if (state.uif !== 0) await ctx.hooks.awaitTouch();
  return state.key;
}

async function computeSignature(cmd: CommandApdu, ctx: AppletContext): Promise<Uint8Array> {
  const key = await useKey(ctx, 0, "pw1Sign");
  const signature = withCrypto(() => crypto.computeSignature(key, cmd.data));
  const s = ctx.store.state;
  s.signatureCounter = Math.min(s.signatureCounter + 1, MAX_COUNTER);
  // C4 byte 0 = 00: PW1 (81) is good for one signature only (spec 3.4, PW status bytes).
  if (!s.pw1ValidMultiple) ctx.session.pw1Sign = false;
  ctx.store.save();
  return signature;
}

async function decipher(cmd: CommandApdu, ctx: AppletContext): Promise<Uint8Array> {
  const key = await useKey(ctx, ctx.session.decipherSlot, "pw1Other");
  return withCrypto(() => crypto.decipher(key, cmd.data));
}

/** 7.2.10/7.2.11 PERFORM SECURITY OPERATION: 9E 9A sign, 80 86 decipher. */
export function performSecurityOperation(
  cmd: CommandApdu,
  ctx: AppletContext,
): Promise<Uint8Array> {
  if (cmd.p1 === 0x9e && cmd.p2 === 0x9a) return computeSignature(cmd, ctx);
  if (cmd.p1 === 0x80 && cmd.p2 === 0x86) return decipher(cmd, ctx);
  throw new StatusError(SW_INCORRECT_P1P2);
}

/** 7.2.13 INTERNAL AUTHENTICATE with the authentication key (PW1 82). */
export async function internalAuthenticate(
  cmd: CommandApdu,
  ctx: AppletContext,
): Promise<Uint8Array> {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new StatusError(SW_INCORRECT_P1P2);
  const key = await useKey(ctx, ctx.session.authSlot, "pw1Other");
  return withCrypto(() => crypto.internalAuthenticate(key, cmd.data));
}

/**
 * 7.2.18 MANAGE SECURITY ENVIRONMENT (cards whose C0 announces MSE): P1 41, P2 A4
 * (authentication) or B8 (decryption), data 83 01 02|03 = use key 2 or key 3. Volatile.
 */
export function manageSecurityEnvironment(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (cmd.p1 !== 0x41 || (cmd.p2 !== 0xa4 && cmd.p2 !== 0xb8)) {
    throw new StatusError(SW_INCORRECT_P1P2);
  }
  const d = cmd.data;
  if (d.length !== 3 || d[0] !== 0x83 || d[1] !== 0x01 || (d[2] !== 0x02 && d[2] !== 0x03)) {
    throw new StatusError(SW_BAD_DATA, "Cannot set security environment: expected 83 01 02|03");
  }
  const slot = d[2]! - 1;
  if (cmd.p2 === 0xa4) ctx.session.authSlot = slot;
  else ctx.session.decipherSlot = slot;
  return NO_DATA;
}

function slotOfCrt(template: Uint8Array): number {
  const first = parseOrBadData(() => parseTlvs(template)[0]);
  const slot = first === undefined ? undefined : CRT_SLOT.get(first.tag);
  if (slot === undefined) throw new StatusError(SW_BAD_DATA, "Cannot find key: unknown CRT");
  return slot;
}

function installKey(ctx: AppletContext, slot: number, key: crypto.CardKey, origin: 1 | 2): void {
  const s = ctx.store.state;
  clearKeySlot(ctx.store, slot);
  s.keys[slot]!.key = key;
  s.keys[slot]!.origin = origin;
  // A new signature key restarts the signature counter (spec 3.4, DO 93).
  if (slot === 0) s.signatureCounter = 0;
  ctx.store.save();
}

/** 7.2.14 GENERATE ASYMMETRIC KEY PAIR: P1 80 generate (PW3), P1 81 read the public key. */
export function generateKeyPair(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (cmd.p2 !== 0x00 || (cmd.p1 !== 0x80 && cmd.p1 !== 0x81)) {
    throw new StatusError(SW_INCORRECT_P1P2);
  }
  const slot = slotOfCrt(cmd.data);
  const state = ctx.store.state.keys[slot]!;
  if (cmd.p1 === 0x81) {
    const key = state.key;
    if (!key) {
      throw new StatusError(ctx.profile.status.noPublicKey, `No key in slot ${slot + 1}`);
    }
    return withCrypto(() => crypto.publicKeyTemplate(key));
  }
  if (!ctx.session.pw3) throw new StatusError(SW_SECURITY_STATUS);
  const key = withCrypto(() => crypto.generateKey(fromHex(state.attributes)));
  installKey(ctx, slot, key, 1);
  return withCrypto(() => crypto.publicKeyTemplate(key));
}

/** PUT DATA odd (INS DB) 3FFF: extended header list 4D { CRT, 7F48, 5F48 } imports a key. */
export function importKey(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (cmd.p1 !== 0x3f || cmd.p2 !== 0xff) throw new StatusError(SW_REF_NOT_FOUND);
  if (!ctx.session.pw3) throw new StatusError(SW_SECURITY_STATUS);
  const outer = parseOrBadData(() => parseTlvs(cmd.data)[0]);
  if (outer?.tag !== 0x4d) throw new StatusError(SW_BAD_DATA, "Cannot import key: expected 4D");
  const slot = slotOfCrt(outer.value);
  const attributes = fromHex(ctx.store.state.keys[slot]!.attributes);
  const key = withCrypto(() => crypto.importKey(attributes, cmd.data));
  installKey(ctx, slot, key, 2);
  return NO_DATA;
}
