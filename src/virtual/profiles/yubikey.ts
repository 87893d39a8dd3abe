/**
 * YubiKey 5 (firmware 5.2.3+, OpenPGP 3.4) and YubiKey 4 (OpenPGP 2.1). Values marked
 * "modelled" in docs/cards.md are not from a source.
 * @module
 */

import { OPENPGP34 as GENERIC_LATENCY } from "../latency.ts";
import { type CardProfile, ISO_STATUS } from "./profile.ts";

const RSA = ["rsa2048", "rsa3072", "rsa4096"];
const ECC_SIGN = ["p256", "p384", "p521", "ed25519"];

export const YUBIKEY5: CardProfile = {
  name: "yubikey5",
  description: "YubiKey 5 series, firmware 5.2.3 or later (OpenPGP 3.4)",
  version: 0x0304,
  manufacturer: 0x0006,
  atr: "3BFD1300008131FE158073C021C057597562694B657940",
  historicalBytes: "0073000080059000",
  extendedCapabilities: "7D000BFE080000FF0000",
  extendedLengthInfo: "0202080002020800",
  generalFeatureManagement: "810120",
  rsaAttributeTail: "002000",
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

export const YUBIKEY4: CardProfile = {
  name: "yubikey4",
  description: "YubiKey 4 series (OpenPGP 2.1, RSA only)",
  version: 0x0201,
  manufacturer: 0x0006,
  atr: "3BF8130000 8131FE15 597562696B657934 D4".replaceAll(" ", ""),
  historicalBytes: "0073000080059000",
  extendedCapabilities: "7400 00FF 0000 00FF 0100".replaceAll(" ", ""),
  extendedLengthInfo: null,
  generalFeatureManagement: null,
  rsaAttributeTail: "002000",
  pw1ValidMultiple: true,
  maxPinLength: [127, 127, 127],
  maxResponse: 0,
  status: { ...ISO_STATUS, verifyResetUnsupported: 0x6b00 },
  capabilities: {
    algorithms: {
      sig: ["rsa2048", "rsa4096"],
      dec: ["rsa2048", "rsa4096"],
      aut: ["rsa2048", "rsa4096"],
    },
    keyAttrChangeable: true,
    factoryReset: true,
    verifyResetP1FF: false,
    kdf: false,
    uif: false,
    resetCode: true,
    extendedLength: false,
    commandChaining: true,
    getChallenge: true,
    mseKeySwap: false,
    keyImport: true,
    algorithmInformation: false,
  },
  latency: GENERIC_LATENCY,
};
