/**
 * What `scd-ts probe info` shows about one card, read through the same layers the daemon uses:
 * the reader backend's shared, short transactions and the OpenPGP application's forced LEARN
 * (the status lines `gpg --card-status` is built from). Reading needs no PIN.
 * @module
 */

import { type OperationContext, type PinProvider, type StatusSink } from "../app/mod.ts";
import type { CardReaderBackend } from "../pcsc/mod.ts";
import { manufacturerName, type OpenPgpApplication } from "../openpgp/mod.ts";
import { openPgpOpener, resolveConfig } from "../scd/mod.ts";

/** One key slot of the card. */
export interface KeySlotInfo {
  slot: "OPENPGP.1" | "OPENPGP.2" | "OPENPGP.3";
  usage: "sign" | "encrypt" | "auth";
  /** e.g. "rsa2048", "ed25519"; null when the card sent no attribute. */
  algorithm: string | null;
  /** null: no key in the slot. */
  fingerprint: string | null;
  keygrip: string | null;
  /** ISO 8601 UTC, null when unset. */
  created: string | null;
  /** User interaction flag (touch) as the card reports it: "off", "on", "fixed", … */
  uif: string | null;
}

/** `probe info --json`: every field the issue lists. */
export interface CardInfo {
  reader: string;
  aid: string;
  serial: string;
  manufacturer: string;
  specVersion: string;
  cardholder: string;
  url: string;
  login: string;
  keys: KeySlotInfo[];
  pinRetries: { user: number; reset: number; admin: number };
  /** PW1 mode: true = one VERIFY covers several signatures ("forced" = false). */
  pw1ValidForSeveralSignatures: boolean;
  signatureCounter: number;
  kdf: boolean;
}

const SLOTS = [
  { slot: "OPENPGP.1", usage: "sign" },
  { slot: "OPENPGP.2", usage: "encrypt" },
  { slot: "OPENPGP.3", usage: "auth" },
] as const;

const NO_PIN: PinProvider = {
  get() {
    return Promise.reject(new Error("reading card information needs no PIN"));
  },
};

/**
 * The daemon's opener (scd/assemble.ts) with the settings a look at a card wants: the strict
 * PIN policy, no admin commands, and no burst hold (a probe keeps no transaction open).
 */
const openForProbe = openPgpOpener(
  resolveConfig({
    env: () => undefined,
    file: new Map([["pin-policy", "strict"], ["deny-admin", "yes"], ["hold", "0"]]),
  }).config,
);

/** Opens the OpenPGP application on `reader` of `backend` (fails if the card has none). */
export async function openApplication(
  backend: CardReaderBackend,
  reader: string,
): Promise<OpenPgpApplication> {
  return await openForProbe({ backend, reader });
}

type Arg = string | Uint8Array;

/** Collects status lines as keyword → list of argument arrays (raw text split on spaces). */
function collector(): { sink: StatusSink; lines: Map<string, Arg[][]> } {
  const lines = new Map<string, Arg[][]>();
  const add = (keyword: string, args: Arg[]) => {
    lines.set(keyword, [...(lines.get(keyword) ?? []), args]);
  };
  return {
    lines,
    sink: {
      emit: (keyword, ...args) => add(keyword, args),
      emitRaw: (keyword, raw) => add(keyword, raw.split(" ")),
    },
  };
}

function text(a: Arg | undefined): string {
  return a === undefined ? "" : typeof a === "string" ? a : new TextDecoder().decode(a);
}

function bytes(a: Arg | undefined): Uint8Array {
  return a === undefined
    ? new Uint8Array()
    : typeof a === "string"
    ? new TextEncoder().encode(a)
    : a;
}

/** gnupg's DISP-NAME form `Surname<<Given` as "Given Surname". */
function cardholderName(raw: string): string {
  const [surname = "", given = ""] = raw.split("<<");
  return [given.replaceAll("<", " "), surname.replaceAll("<", " ")].filter((s) => s).join(" ");
}

/** UIF DO first byte (spec 3.4 §4.1.3.6): 00 off, 01 on, 02 fixed, 03/04 cached. */
const UIF_NAMES = ["off", "on", "fixed", "cached", "cached-fixed"];

/** KDF DO (spec 3.4 §4.3.2): `81 01 00` = no KDF. */
function kdfOn(raw: Uint8Array): boolean {
  return raw.length >= 3 && raw[0] === 0x81 && raw[2] !== 0x00;
}

/** Reads everything `probe info` shows from the card in `reader` (no PIN, no write). */
export async function readCardInfo(backend: CardReaderBackend, reader: string): Promise<CardInfo> {
  const app = await openApplication(backend, reader);
  try {
    const { sink, lines } = collector();
    const ctx: OperationContext = { pin: NO_PIN, status: sink };
    await app.learn({ force: true }, ctx);
    for (const name of ["KEY-ATTR", "KEY-FPR", "KEY-TIME", "PUBKEY-URL", "LOGIN-DATA"]) {
      await app.getAttr({ name }, ctx);
    }
    const keyInfos = await app.listKeys(ctx);
    const first = (k: string) => lines.get(k)?.[0] ?? [];
    const numbered = (k: string, n: number) => lines.get(k)?.find((a) => text(a[0]) === String(n));
    const chv = text(first("CHV-STATUS")[0]).trim().split(/[ +]/);
    const keys = SLOTS.map(({ slot, usage }, i): KeySlotInfo => {
      const known = keyInfos.find((k) => k.keyRef === slot);
      const time = Number(text(numbered("KEY-TIME", i + 1)?.[1]) || known?.created || 0);
      const uif = bytes(first(`UIF-${i + 1}`)[0]);
      return {
        slot,
        usage,
        algorithm: known?.algo || text(numbered("KEY-ATTR", i + 1)?.[2]) || null,
        fingerprint: text(numbered("KEY-FPR", i + 1)?.[1]) || null,
        keygrip: known?.keygrip ?? null,
        created: time > 0 ? new Date(time * 1000).toISOString() : null,
        uif: uif.length > 0 ? UIF_NAMES[uif[0]!] ?? `0x${uif[0]!.toString(16)}` : null,
      };
    });
    const aid = app.serialNo;
    const version = parseInt(aid.slice(12, 16), 16);
    return {
      reader,
      aid,
      serial: app.displaySerialNo,
      manufacturer: text(first("MANUFACTURER").slice(1).join(" ")) ||
        manufacturerName(parseInt(aid.slice(16, 20), 16)),
      specVersion: `${version >> 8}.${version & 0xff}`,
      cardholder: cardholderName(text(first("DISP-NAME")[0])),
      url: text(first("PUBKEY-URL")[0]),
      login: text(first("LOGIN-DATA")[0]),
      keys,
      pinRetries: {
        user: Number(chv[4] ?? 0),
        reset: Number(chv[5] ?? 0),
        admin: Number(chv[6] ?? 0),
      },
      pw1ValidForSeveralSignatures: chv[0] === "1",
      signatureCounter: Number(text(first("SIG-COUNTER")[0]) || 0),
      kdf: kdfOn(bytes(first("KDF")[0])),
    };
  } finally {
    await app.release();
  }
}
