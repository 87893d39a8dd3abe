/**
 * The data objects of the OpenPGP card (spec 3.4 §4.4), declared once with named fields
 * (gnupg keeps the same facts in the positional `data_objects[]` of scd/app-openpgp.c).
 *
 * `cache`: "session" = may be kept until the next write or invalidation; "model" = changes as
 * the card is used (PIN tries, signature counter): kept in the card-state model for questions,
 * read fresh by operations; "never" = not kept (PIN-protected or write-only DOs).
 * `extended`: large DO worth an extended-length GET DATA when the card supports it
 * ("cert": up to the max certificate length of C0, "special": up to the max special-DO
 * length, v3 cards).
 * @module
 */

/** How one DO behaves. */
export interface DataObjectSpec {
  tag: number;
  /** Constructed DO (its value is a TLV list). */
  constructed: boolean;
  /** Constructed DO this one is read from, if not directly readable. */
  parent?: number;
  cache: "session" | "model" | "never";
  extended?: "cert" | "special";
  description: string;
}

/** Every DO scd-ts reads or writes. */
export const DO = {
  loginData: {
    tag: 0x005e,
    constructed: false,
    cache: "session",
    extended: "special",
    description: "Login data",
  },
  url: {
    tag: 0x5f50,
    constructed: false,
    cache: "session",
    extended: "special",
    description: "URL",
  },
  historicalBytes: {
    tag: 0x5f52,
    constructed: false,
    parent: 0x6e,
    cache: "session",
    description: "Historical bytes",
  },
  cardholderData: {
    tag: 0x0065,
    constructed: true,
    cache: "session",
    description: "Cardholder related data",
  },
  name: { tag: 0x005b, constructed: false, parent: 0x65, cache: "session", description: "Name" },
  languagePrefs: {
    tag: 0x5f2d,
    constructed: false,
    parent: 0x65,
    cache: "session",
    description: "Language preferences",
  },
  salutation: {
    tag: 0x5f35,
    constructed: false,
    parent: 0x65,
    cache: "session",
    description: "Salutation",
  },
  applicationRelatedData: {
    tag: 0x006e,
    constructed: true,
    cache: "session",
    description: "Application related data",
  },
  aid: { tag: 0x004f, constructed: false, parent: 0x6e, cache: "session", description: "AID" },
  extendedLengthInfo: {
    tag: 0x7f66,
    constructed: true,
    parent: 0x6e,
    cache: "session",
    description: "Extended length information",
  },
  generalFeatureManagement: {
    tag: 0x7f74,
    constructed: true,
    parent: 0x6e,
    cache: "session",
    description: "General feature management",
  },
  discretionaryDos: {
    tag: 0x0073,
    constructed: true,
    parent: 0x6e,
    cache: "session",
    description: "Discretionary data objects",
  },
  extendedCapabilities: {
    tag: 0x00c0,
    constructed: false,
    parent: 0x73,
    cache: "session",
    description: "Extended capabilities",
  },
  algorithmAttributesSig: {
    tag: 0x00c1,
    constructed: false,
    parent: 0x73,
    cache: "session",
    description: "Algorithm attributes signature",
  },
  algorithmAttributesDec: {
    tag: 0x00c2,
    constructed: false,
    parent: 0x73,
    cache: "session",
    description: "Algorithm attributes decryption",
  },
  algorithmAttributesAut: {
    tag: 0x00c3,
    constructed: false,
    parent: 0x73,
    cache: "session",
    description: "Algorithm attributes authentication",
  },
  pwStatus: {
    tag: 0x00c4,
    constructed: false,
    parent: 0x73,
    cache: "model",
    description: "PW status bytes",
  },
  fingerprints: {
    tag: 0x00c5,
    constructed: false,
    parent: 0x73,
    cache: "session",
    description: "Fingerprints",
  },
  caFingerprints: {
    tag: 0x00c6,
    constructed: false,
    parent: 0x73,
    cache: "session",
    description: "CA fingerprints",
  },
  generationTimes: {
    tag: 0x00cd,
    constructed: false,
    parent: 0x73,
    cache: "session",
    description: "Key generation times",
  },
  keyInformation: {
    tag: 0x00de,
    constructed: false,
    parent: 0x73,
    cache: "session",
    description: "Key information",
  },
  uifSig: {
    tag: 0x00d6,
    constructed: false,
    parent: 0x6e,
    cache: "session",
    description: "UIF for signature",
  },
  uifDec: {
    tag: 0x00d7,
    constructed: false,
    parent: 0x6e,
    cache: "session",
    description: "UIF for decryption",
  },
  uifAut: {
    tag: 0x00d8,
    constructed: false,
    parent: 0x6e,
    cache: "session",
    description: "UIF for authentication",
  },
  securitySupportTemplate: {
    tag: 0x007a,
    constructed: true,
    cache: "model",
    description: "Security support template",
  },
  signatureCounter: {
    tag: 0x0093,
    constructed: false,
    parent: 0x7a,
    cache: "model",
    description: "Digital signature counter",
  },
  privateDo1: {
    tag: 0x0101,
    constructed: false,
    cache: "session",
    extended: "special",
    description: "Private DO 1",
  },
  privateDo2: {
    tag: 0x0102,
    constructed: false,
    cache: "session",
    extended: "special",
    description: "Private DO 2",
  },
  privateDo3: {
    tag: 0x0103,
    constructed: false,
    cache: "never",
    extended: "special",
    description: "Private DO 3",
  },
  privateDo4: {
    tag: 0x0104,
    constructed: false,
    cache: "never",
    extended: "special",
    description: "Private DO 4",
  },
  cardholderCertificate: {
    tag: 0x7f21,
    constructed: true,
    cache: "session",
    extended: "cert",
    description: "Cardholder certificate",
  },
  aesKey: {
    tag: 0x00d5,
    constructed: false,
    cache: "never",
    description: "AES key data (write only)",
  },
  resettingCode: {
    tag: 0x00d3,
    constructed: false,
    cache: "never",
    description: "Resetting code (write only)",
  },
  kdf: { tag: 0x00f9, constructed: false, cache: "session", description: "KDF data object" },
  algorithmInformation: {
    tag: 0x00fa,
    constructed: true,
    cache: "session",
    extended: "special",
    description: "Algorithm information",
  },
  fingerprintSig: {
    tag: 0x00c7,
    constructed: false,
    cache: "never",
    description: "Fingerprint signature key (write)",
  },
  fingerprintDec: {
    tag: 0x00c8,
    constructed: false,
    cache: "never",
    description: "Fingerprint decryption key (write)",
  },
  fingerprintAut: {
    tag: 0x00c9,
    constructed: false,
    cache: "never",
    description: "Fingerprint authentication key (write)",
  },
  caFingerprint1: {
    tag: 0x00ca,
    constructed: false,
    cache: "never",
    description: "CA fingerprint 1 (write)",
  },
  caFingerprint2: {
    tag: 0x00cb,
    constructed: false,
    cache: "never",
    description: "CA fingerprint 2 (write)",
  },
  caFingerprint3: {
    tag: 0x00cc,
    constructed: false,
    cache: "never",
    description: "CA fingerprint 3 (write)",
  },
  generationTimeSig: {
    tag: 0x00ce,
    constructed: false,
    cache: "never",
    description: "Generation time signature key (write)",
  },
  generationTimeDec: {
    tag: 0x00cf,
    constructed: false,
    cache: "never",
    description: "Generation time decryption key (write)",
  },
  generationTimeAut: {
    tag: 0x00d0,
    constructed: false,
    cache: "never",
    description: "Generation time authentication key (write)",
  },
  smKeyEnc: {
    tag: 0x00d1,
    constructed: false,
    cache: "never",
    description: "Secure messaging key ENC (write)",
  },
  smKeyMac: {
    tag: 0x00d2,
    constructed: false,
    cache: "never",
    description: "Secure messaging key MAC (write)",
  },
} as const satisfies Record<string, DataObjectSpec>;

/** Name of a DO. */
export type DataObjectName = keyof typeof DO;

/** The spec of a tag, if it is in {@link DO}. */
export function dataObjectByTag(tag: number): DataObjectSpec | undefined {
  return (Object.values(DO) as DataObjectSpec[]).find((d) => d.tag === tag);
}
