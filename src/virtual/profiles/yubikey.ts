/**
 * YubiKey 5 (firmware 5.7 and 5.4, OpenPGP 3.4) and YubiKey 4 (firmware 4.3+, OpenPGP 2.1).
 * Each value carries its source; docs/cards.md lists them and what is still unknown.
 * @module
 */

import { OPENPGP34 as GENERIC_LATENCY } from "../latency.ts";
import { type CardProfile, ISO_STATUS, SPEC_TEMPLATES } from "./profile.ts";

const RSA = ["rsa2048", "rsa3072", "rsa4096"];
const ECC_SIGN = ["p256", "p384", "p521", "ed25519"];

/** RSA attributes 01 nnnn 0011 00: a 17-bit exponent, standard import format. */
// real YubiKey 5 NFC dump (openpgp-card ocard/tlv.rs test_tlv_yubi5: C1–C3, DA = 010800001100);
// yubikit openpgp.py RsaAttributes.create uses 17 exponent bits too
const YUBICO_RSA_TAIL = "001100";

/** 6E and 73 in the order a YubiKey 5 sends them: 7F66 and the UIF DOs inside 73. */
// openpgp-card ocard/tlv.rs test_tlv_yubi5: 6E { 4F 5F52 7F74 73 { C0 C1 C2 C3 DA C4 C5 C6 CD
// DE 7F66 D6 D7 D8 D9 } }
const YUBIKEY5_TEMPLATES = {
  application: [0x4f, 0x5f52, 0x7f74, 0x73],
  discretionary: [
    0xc0,
    0xc1,
    0xc2,
    0xc3,
    0xda,
    0xc4,
    0xc5,
    0xc6,
    0xcd,
    0xde,
    0x7f66,
    0xd6,
    0xd7,
    0xd8,
    0xd9,
  ],
} as const;

export const YUBIKEY5: CardProfile = {
  name: "yubikey5",
  description: "YubiKey 5 series, firmware 5.7 (OpenPGP 3.4, VERIFY P1=FF)",
  version: 0x0304,
  manufacturer: 0x0006,
  // OpenSC src/libopensc/card-openpgp.c pgp_atrs "Yubikey 5 (OpenPGP v3.4)"
  atr: "3BFD1300008131FE158073C021C057597562694B657940",
  // test_tlv_yubi5 dump: card capabilities E0 = chaining, extended Lc/Le, extended length info
  historicalBytes: "00730000E0059000",
  // test_tlv_yubi5 dump (C0, 7F66 = 3070/3070); Yubico "YubiKey 5.2.3 Enhancements to OpenPGP
  // 3.4" (developers.yubico.com/PGP): answers of up to about 3 kB
  extendedCapabilities: "7D000BFE080000FF0000",
  extendedLengthInfo: "02020BFE02020BFE",
  generalFeatureManagement: "810120",
  rsaAttributeTail: YUBICO_RSA_TAIL,
  // the attestation key (ref 81): DA RSA-2048, DE 81 02, D9 00 20 (test_tlv_yubi5 dump);
  // DA/DB/DD/D9 named in yubikit openpgp.py DO.*_ATT and gnupg scd/app-openpgp.c data_objects
  extraKeySlot: { keyRef: 0x81, attributes: "010800" + YUBICO_RSA_TAIL, status: 0x02, uif: "0020" },
  templates: YUBIKEY5_TEMPLATES,
  // "Signature PIN: not forced" (gpg --card-status of a YubiKey 5, docs/cards.md)
  pw1ValidMultiple: true,
  maxPinLength: [127, 127, 127],
  maxResponse: 0,
  status: ISO_STATUS,
  capabilities: {
    algorithms: {
      sig: [...RSA, ...ECC_SIGN],
      dec: [...RSA, "p256", "p384", "p521", "x25519"],
      aut: [...RSA, ...ECC_SIGN],
    },
    keyAttrChangeable: true,
    factoryReset: true,
    // yubikit openpgp.py unverify_pin: require_version 5.6.0
    verifyResetP1FF: true,
    kdf: true,
    uif: true,
    resetCode: true,
    extendedLength: true,
    commandChaining: true,
    getChallenge: true,
    mseKeySwap: false,
    keyImport: true,
    algorithmInformation: true,
  },
  latency: GENERIC_LATENCY,
};

/**
 * YubiKey 5 with firmware 5.4 (5.2–5.5 alike for the daemon): no VERIFY P1=FF, no VERIFY
 * status query.
 */
export const YUBIKEY5_FW54: CardProfile = {
  ...YUBIKEY5,
  name: "yubikey5-fw54",
  description: "YubiKey 5 series, firmware 5.4 (OpenPGP 3.4, no VERIFY P1=FF)",
  status: {
    ...ISO_STATUS,
    // no P1=FF before 5.6.0 (yubikit openpgp.py unverify_pin); the status word is not
    // documented: modelled as the 6A80 the same firmware gives a VERIFY without data
    verifyResetUnsupported: 0x6a80,
    // VERIFY with no data answers 6A80 on 5.4.3 (OpenSC issue 2565, PR 3397 log)
    verifyStatusUnsupported: 0x6a80,
    // an empty slot's public key answers 6581 on 5.2.4 (gnupg commit 0db9c8355 message,
    // scd/app-openpgp.c get_public_key "Yubikey returns wrong code"); 5.4's answer is not
    // known, so the spec's 6A88 stays (noPublicKey can model 5.2.4)
  },
  capabilities: { ...YUBIKEY5.capabilities, verifyResetP1FF: false },
};

export const YUBIKEY4: CardProfile = {
  name: "yubikey4",
  description: "YubiKey 4 series, firmware 4.3 or later (OpenPGP 2.1, RSA only)",
  version: 0x0201,
  manufacturer: 0x0006,
  // OpenSC card-openpgp.c pgp_atrs "Yubikey 4 (OpenPGP v2.1)"
  atr: "3BF8130000 8131FE15 597562696B657934 D4".replaceAll(" ", ""),
  // OpenSC issue 1561 (opensc-explorer cat 5F52 on a YubiKey 4)
  historicalBytes: "0073000080059000",
  // YubiKey 4 dump in open-keychain SecurityTokenUtilsTest.java: no GET CHALLENGE flag,
  // private DOs, certificate 1216 bytes, 2.x max command/response 255
  extendedCapabilities: "3C00 0000 04C0 00FF 00FF".replaceAll(" ", ""),
  extendedLengthInfo: null,
  // same dump: 7F74 81 01 20; UIF on firmware ≥ 4.2 (yubikit openpgp.py get_uif)
  generalFeatureManagement: "810120",
  rsaAttributeTail: YUBICO_RSA_TAIL,
  extraKeySlot: null,
  // a 2.x card's 6E has no UIF DOs: they are read with GET DATA on their own (yubikit)
  templates: {
    application: [0x4f, 0x5f52, 0x7f74, 0x73],
    discretionary: SPEC_TEMPLATES.discretionary.filter((t) => t < 0xd6 || t > 0xd8),
  },
  pw1ValidMultiple: true,
  maxPinLength: [127, 127, 127],
  maxResponse: 0,
  status: { ...ISO_STATUS, verifyResetUnsupported: 0x6b00 },
  capabilities: {
    // yubikit openpgp.py get_algorithm_information: 2048/3072/4096 below 5.2 (FIPS 4.4: 2048)
    algorithms: { sig: RSA, dec: RSA, aut: RSA },
    keyAttrChangeable: true,
    factoryReset: true,
    verifyResetP1FF: false,
    kdf: false,
    uif: true,
    resetCode: true,
    extendedLength: false,
    commandChaining: true,
    getChallenge: false,
    mseKeySwap: false,
    keyImport: true,
    algorithmInformation: false,
  },
  latency: GENERIC_LATENCY,
};
