/**
 * What each virtual card profile announces, decoded with the daemon's own parsers
 * (src/openpgp/: parseArd, parseAid, parseHistoricalBytes, atrHistoricalBytes): one row of
 * docs/cards.md's "Profile facts" table per profile. Shared by the test that compares the doc
 * with the cards and by `deno run tests/integration/_profile_facts.ts` (prints the rows).
 * @module
 */

import { atrHistoricalBytes, parseArd } from "../../src/openpgp/ard.ts";
import { manufacturerName } from "../../src/openpgp/aid.ts";
import { concat, fromHex, toHex } from "../../src/util/bytes.ts";
import { VirtualCard } from "../../src/virtual/card.ts";
import { PROFILES } from "../../src/virtual/profiles/mod.ts";

/** Columns of the facts table, in order. */
export const FACT_COLUMNS = [
  "Profile",
  "AID version",
  "Manufacturer",
  "ATR",
  "ATR historical bytes",
  "5F52",
  "5F52 says",
  "C0",
  "C0 says",
  "7F66",
  "C4 PW1 / max lengths",
  "7F74",
] as const;

async function send(card: VirtualCard, hex: string): Promise<Uint8Array> {
  let reply = await card.transmit(fromHex(hex));
  const parts = [reply.subarray(0, reply.length - 2)];
  while (reply[reply.length - 2] === 0x61) {
    reply = await card.transmit(Uint8Array.of(0x00, 0xc0, 0x00, 0x00, reply[reply.length - 1]!));
    parts.push(reply.subarray(0, reply.length - 2));
  }
  return concat(...parts);
}

function c0Says(x: ReturnType<typeof parseArd>["extendedCapabilities"]): string {
  const flags = [
    ["sm", x.secureMessaging],
    ["challenge", x.getChallenge],
    ["import", x.keyImport],
    ["pw-status", x.pwStatusChangeable],
    ["private-DOs", x.privateDos],
    ["attr-change", x.algorithmAttributesChangeable],
    ["aes", x.aesDecrypt],
    ["kdf", x.kdf],
    ["mse", x.mse],
  ].filter(([, on]) => on).map(([name]) => name);
  const limits = `challenge ${x.maxChallengeLength}, cert ${x.maxCertLength}, ` +
    `special ${x.maxSpecialLength}`;
  return `${flags.join(" ")}; ${limits}`;
}

/** The facts row of `name`, as the daemon's decoders read the card. */
export async function factsRow(name: string): Promise<string[]> {
  const card = await VirtualCard.open({ profile: name });
  await send(card, "00A4040006D27600012401");
  const ard = parseArd(await send(card, "00CA006E00"));
  const h = ard.historical;
  const ext = ard.extendedLengthInfo;
  const c0 = await send(card, "00CA00C000");
  const hist = await send(card, "00CA5F5200");
  const pw = ard.pwStatus;
  return [
    name,
    `${ard.aid.version.major}.${ard.aid.version.minor}`,
    `${ard.aid.manufacturer.toString(16).toUpperCase().padStart(4, "0")} ${
      manufacturerName(ard.aid.manufacturer)
    }`,
    toHex(card.atr),
    toHex(atrHistoricalBytes(card.atr) ?? new Uint8Array(0)),
    toHex(hist),
    h === undefined ? "not parsed" : [
      h.capabilities.commandChaining ? "chaining" : "no chaining",
      h.capabilities.extendedLength ? "ext. Lc/Le" : "no ext. Lc/Le",
      `status ${h.statusIndicator.toString(16).padStart(2, "0")}`,
    ].join(", "),
    toHex(c0),
    c0Says(ard.extendedCapabilities),
    ext === undefined ? "absent" : `cmd ${ext.maxCommand}, rsp ${ext.maxResponse}`,
    `${pw.pw1ValidMultiple ? "multiple" : "once"}; ` +
    `${pw.maxLength.pw1} ${pw.maxLength.rc} ${pw.maxLength.pw3}`,
    ard.hasButton ? "button" : "absent",
  ];
}

/** Columns of the capabilities table, in order. */
export const CAPABILITY_COLUMNS = [
  "Profile",
  "Sig",
  "Dec",
  "Aut",
  "Attr change",
  "Factory reset",
  "VERIFY P1=FF",
  "KDF",
  "UIF",
  "Reset code",
  "Ext. length",
  "Chaining",
  "GET CHALLENGE",
  "MSE",
  "FA",
  "Max answer",
  "Latency real",
] as const;

const sw = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
const yes = (b: boolean, no = "no") => b ? "yes" : no;

/** The capabilities row of `name`, straight from the profile record. */
export function capabilitiesRow(name: string): string[] {
  const p = PROFILES[name]!;
  const c = p.capabilities;
  return [
    name,
    c.algorithms.sig.join(" "),
    c.algorithms.dec.join(" "),
    c.algorithms.aut.join(" "),
    yes(c.keyAttrChangeable),
    yes(c.factoryReset, `no (${sw(p.status.unknownIns)})`),
    yes(c.verifyResetP1FF, `no (${sw(p.status.verifyResetUnsupported)})`),
    yes(c.kdf),
    yes(c.uif),
    yes(c.resetCode),
    yes(c.extendedLength, `no (${sw(p.status.extendedUnsupported)})`),
    yes(c.commandChaining, `no (${sw(p.status.chainingUnsupported)})`),
    yes(c.getChallenge),
    yes(c.mseKeySwap),
    yes(c.algorithmInformation),
    p.maxResponse === 0 ? "Le" : String(p.maxResponse),
    p.latency.name,
  ];
}

/** Every profile's facts row. */
export function allFactsRows(): Promise<string[][]> {
  return Promise.all(Object.keys(PROFILES).map(factsRow));
}

if (import.meta.main) {
  for (const row of await allFactsRows()) console.log(`| ${row.join(" | ")} |`);
  console.log();
  for (const name of Object.keys(PROFILES)) console.log(`| ${capabilitiesRow(name).join(" | ")} |`);
}
