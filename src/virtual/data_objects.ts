/**
 * Data objects of the virtual card (spec 3.4 §4.4): what GET DATA returns for each tag, the
 * constructed templates (65, 6E, 73, 7A, FA), and SELECT DATA / GET NEXT DATA for the three
 * cardholder certificates.
 * @module
 */

import { fromHex, uintBE } from "../util/bytes.ts";
import {
  SW_BAD_DATA,
  SW_INCORRECT_P1P2,
  SW_REF_NOT_FOUND,
  SW_SECURITY_STATUS,
} from "../iso7816/sw.ts";
import { parseTlvs, tlv, TlvSyntaxError } from "../iso7816/tlv.ts";
import { attestationCertificate } from "./attestation.ts";
import { buildAid, UIF_BUTTON } from "./capabilities.ts";
import { type CommandApdu, StatusError } from "./command_apdu.ts";
import type { AppletContext } from "./context.ts";
import { supportsAttributes } from "./crypto.ts";
import { attributesOf, type CardProfile, SLOT_NAMES } from "./profiles/mod.ts";

export const TAG_CARDHOLDER_CERT = 0x7f21;

type Reader = (ctx: AppletContext) => Uint8Array;

const SLOTS = [0, 1, 2] as const;

/** Simple DOs: tag → current value. */
const SIMPLE: ReadonlyMap<number, Reader> = new Map<number, Reader>([
  [
    0x4f,
    ({ store, profile }) => buildAid(store.state.manufacturer, store.state.serial, profile.version),
  ],
  [0x5f52, ({ profile }) => fromHex(profile.historicalBytes)],
  [0x7f66, ({ profile }) => fromHex(profile.extendedLengthInfo ?? "")],
  [0x7f74, ({ profile }) => fromHex(profile.generalFeatureManagement ?? "")],
  [0xc0, ({ profile }) => fromHex(profile.extendedCapabilities)],
  [0xc1, ({ store }) => fromHex(store.state.keys[0]!.attributes)],
  [0xc2, ({ store }) => fromHex(store.state.keys[1]!.attributes)],
  [0xc3, ({ store }) => fromHex(store.state.keys[2]!.attributes)],
  [0xc4, pwStatus],
  // a fourth (attestation) slot adds 20 zero bytes to C5 and C6, 4 to CD and its entry to DE,
  // as a factory YubiKey 5 answers (openpgp-card ocard/tlv.rs test_tlv_yubi5 dump)
  [
    0xc5,
    ({ store, profile }) =>
      fromHex(store.state.keys.map((k) => k.fingerprint).join("") + extraZeros(profile, 20)),
  ],
  [
    0xc6,
    ({ store, profile }) => fromHex(store.state.caFingerprints.join("") + extraZeros(profile, 20)),
  ],
  [
    0xcd,
    ({ store, profile }) =>
      fromHex(store.state.keys.map((k) => hex4(k.time)).join("") + extraZeros(profile, 4)),
  ],
  [0xde, ({ store, profile }) => {
    const extra = profile.extraKeySlot;
    const slots = store.state.keys.flatMap((k, i) => [i + 1, k.origin]);
    return Uint8Array.from(extra ? [...slots, extra.keyRef, extra.status] : slots);
  }],
  [0xda, ({ profile }) => fromHex(profile.extraKeySlot?.attributes ?? "")],
  [0xdb, ({ profile }) => fromHex(extraZeros(profile, 20))],
  [0xdc, ({ profile }) => fromHex(extraZeros(profile, 20))],
  [0xdd, ({ profile }) => fromHex(extraZeros(profile, 4))],
  [0xfc, attestationCertificate],
  [0xd9, ({ profile }) => fromHex(profile.extraKeySlot?.uif ?? "")],
  [0xd6, ({ store }) => Uint8Array.of(store.state.keys[0]!.uif, UIF_BUTTON)],
  [0xd7, ({ store }) => Uint8Array.of(store.state.keys[1]!.uif, UIF_BUTTON)],
  [0xd8, ({ store }) => Uint8Array.of(store.state.keys[2]!.uif, UIF_BUTTON)],
  [0x93, ({ store }) => uintBE(store.state.signatureCounter, 3)],
  [0x5b, ({ store }) => store.getData(0x5b)],
  [0x5f2d, ({ store }) => store.getData(0x5f2d)],
  [0x5f35, ({ store }) => store.getData(0x5f35)],
  [0x5e, ({ store }) => store.getData(0x5e)],
  [0x5f50, ({ store }) => store.getData(0x5f50)],
  [0x0101, ({ store }) => store.getData(0x0101)],
  [0x0102, ({ store }) => store.getData(0x0102)],
  [0x0103, privateDo(0x0103, "pw1Other")],
  [0x0104, privateDo(0x0104, "pw3")],
  [0xf9, ({ store }) => fromHex(store.state.kdf)],
  [
    TAG_CARDHOLDER_CERT,
    ({ store, session }) => fromHex(store.state.certificates[session.certOccurrence]!),
  ],
]);

/** Constructed DOs: tag → children (6E and 73 per profile), returned as a complete TLV. */
const CONSTRUCTED: ReadonlyMap<number, (p: CardProfile) => readonly number[]> = new Map([
  [0x65, () => [0x5b, 0x5f2d, 0x5f35]],
  [0x6e, (p: CardProfile) => p.templates.application],
  [0x73, (p: CardProfile) => p.templates.discretionary],
  [0x7a, () => [0x93]],
]);

/** DOs only some card families have: tag → whether the profile's card has it. */
const OPTIONAL: ReadonlyMap<number, (p: CardProfile) => boolean> = new Map([
  [0x7f66, (p: CardProfile) => p.extendedLengthInfo !== null],
  [0x7f74, (p: CardProfile) => p.generalFeatureManagement !== null],
  [0xd6, (p: CardProfile) => p.capabilities.uif],
  [0xd7, (p: CardProfile) => p.capabilities.uif],
  [0xd8, (p: CardProfile) => p.capabilities.uif],
  [0xf9, (p: CardProfile) => p.capabilities.kdf],
  [0xfa, (p: CardProfile) => p.capabilities.algorithmInformation],
  [0xda, (p: CardProfile) => p.extraKeySlot !== null],
  [0xdb, (p: CardProfile) => p.extraKeySlot !== null],
  [0xdc, (p: CardProfile) => p.extraKeySlot !== null],
  [0xdd, (p: CardProfile) => p.extraKeySlot !== null],
  [0xfc, (p: CardProfile) => p.extraKeySlot !== null],
  [0xd9, (p: CardProfile) => p.extraKeySlot !== null && p.capabilities.uif],
]);

/** Whether the profile's card has DO `tag` at all (absent ones answer the profile's unknownDo). */
export function hasDataObject(profile: CardProfile, tag: number): boolean {
  return OPTIONAL.get(tag)?.(profile) ?? true;
}

/** `bytes` zero bytes (hex) when the profile has a fourth key slot, else nothing. */
function extraZeros(profile: CardProfile, bytes: number): string {
  return profile.extraKeySlot ? "00".repeat(bytes) : "";
}

function hex4(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

function pwStatus({ store, profile }: AppletContext): Uint8Array {
  const s = store.state;
  return Uint8Array.of(
    s.pw1ValidMultiple ? 0x01 : 0x00,
    ...profile.maxPinLength,
    s.tries.pw1,
    s.tries.rc,
    s.tries.pw3,
  );
}

function privateDo(tag: number, needs: "pw1Other" | "pw3"): Reader {
  return ({ store, session }) => {
    // Private DO 3 needs PW1 (82), private DO 4 needs PW3 (spec 3.4 §4.4.1, DOs 0101–0104).
    if (!session[needs]) throw new StatusError(SW_SECURITY_STATUS);
    return store.getData(tag);
  };
}

/** FA algorithm information: every attribute set the profile's card accepts in C1/C2/C3. */
function algorithmInformation({ profile }: AppletContext): Uint8Array {
  const entries = SLOTS.flatMap((slot) =>
    profile.capabilities.algorithms[SLOT_NAMES[slot]]
      .map((name) => fromHex(attributesOf(name, slot, profile.rsaAttributeTail)))
      .filter((attr) => supportsAttributes(attr))
      .map((attr) => tlv(0xc1 + slot, attr))
  );
  return tlv(0xfa, ...entries);
}

/** The TLV of `tag` as it appears inside a template (children the card lacks left out). */
function element(tag: number, ctx: AppletContext): Uint8Array {
  const children = CONSTRUCTED.get(tag)?.(ctx.profile);
  if (children) {
    const present = children.filter((t) => hasDataObject(ctx.profile, t));
    return tlv(tag, ...present.map((t) => element(t, ctx)));
  }
  return tlv(tag, SIMPLE.get(tag)!(ctx));
}

/** The answer to GET DATA for `tag`; unknown, absent or write-only tags: the profile's SW. */
export function readDataObject(tag: number, ctx: AppletContext): Uint8Array {
  const missing = () =>
    new StatusError(ctx.profile.status.unknownDo, `No data object ${tag.toString(16)}`);
  if (!hasDataObject(ctx.profile, tag)) throw missing();
  if (tag === 0xfa) return algorithmInformation(ctx);
  if (CONSTRUCTED.has(tag)) return element(tag, ctx);
  const reader = SIMPLE.get(tag);
  if (!reader) throw missing();
  return reader(ctx);
}

/** 7.2.6 GET DATA: P1 ‖ P2 = tag. */
export function getData(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  return readDataObject((cmd.p1 << 8) | cmd.p2, ctx);
}

/** 7.2.7 GET NEXT DATA: the next cardholder certificate occurrence. */
export function getNextData(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (((cmd.p1 << 8) | cmd.p2) !== TAG_CARDHOLDER_CERT) throw new StatusError(SW_REF_NOT_FOUND);
  if (ctx.session.certOccurrence >= 2) throw new StatusError(SW_REF_NOT_FOUND);
  ctx.session.certOccurrence++;
  return readDataObject(TAG_CARDHOLDER_CERT, ctx);
}

/** 7.2.5 SELECT DATA: P1 occurrence 0–2, P2 04, data 60 { 5C tag } (only 7F21 has several). */
export function selectData(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (cmd.p1 > 2 || cmd.p2 !== 0x04) throw new StatusError(SW_INCORRECT_P1P2);
  let tag: Uint8Array | undefined;
  try {
    const outer = parseTlvs(cmd.data)[0];
    tag = outer?.tag === 0x60
      ? parseTlvs(outer.value).find((t) => t.tag === 0x5c)?.value
      : undefined;
  } catch (e) {
    if (!(e instanceof TlvSyntaxError)) throw e;
  }
  if (!tag) throw new StatusError(SW_BAD_DATA, "Cannot select data: expected 60 { 5C tag }");
  const value = tag.reduce((v, b) => v * 256 + b, 0);
  if (value !== TAG_CARDHOLDER_CERT) throw new StatusError(SW_REF_NOT_FOUND);
  ctx.session.certOccurrence = cmd.p1;
  return new Uint8Array(0);
}
