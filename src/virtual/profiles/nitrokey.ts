/**
 * Nitrokey 3 (opcard-rs, OpenPGP 3.4) and Nitrokey Pro 2 (a ZeitControl OpenPGP card 3.3
 * chip). Sources: docs/cards.md.
 * @module
 */

import { NITROKEY3 as NK3_LATENCY, OPENPGP34 as GENERIC_LATENCY } from "../latency.ts";
import { type CardProfile, ISO_STATUS, SPEC_TEMPLATES } from "./profile.ts";

const RSA = ["rsa2048", "rsa3072", "rsa4096"];
const NIST = ["p256", "p384", "p521"];

export const NITROKEY3: CardProfile = {
  name: "nitrokey3",
  description: "Nitrokey 3 (opcard-rs, OpenPGP 3.4)",
  version: 0x0304,
  manufacturer: 0x000f,
  // "Nitrokey" in the historical bytes, no capability bytes (pynitrokey PR 642)
  atr: "3B8F01805D4E6974726F6B657900000000006A",
  historicalBytes: "0031F573C00160059000",
  extendedCapabilities: "3F00100010001000" + "0001",
  extendedLengthInfo: "02021DB902021DB9",
  generalFeatureManagement: "810120",
  rsaAttributeTail: "002000",
  extraKeySlot: null,
  templates: SPEC_TEMPLATES,
  pw1ValidMultiple: false,
  maxPinLength: [127, 127, 127],
  maxResponse: 0,
  status: ISO_STATUS,
  capabilities: {
    algorithms: {
      sig: [...RSA, ...NIST, "ed25519"],
      dec: [...RSA, ...NIST, "x25519"],
      aut: [...RSA, ...NIST, "ed25519"],
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
    mseKeySwap: true,
    keyImport: true,
    algorithmInformation: true,
  },
  latency: NK3_LATENCY,
};

export const NITROKEY_PRO2: CardProfile = {
  name: "nitrokey-pro2",
  description: "Nitrokey Pro 2 (ZeitControl OpenPGP card 3.3 chip)",
  version: 0x0303,
  manufacturer: 0x0005,
  // OpenSC src/libopensc/card-openpgp.c pgp_atrs (OpenPGP card 3.x, the Nitrokey Pro 2's)
  atr: "3BDA18FF81B1FE751F03" + "0031F573C00160009000" + "1C",
  // status byte 05 in 5F52: gpg's factory-reset works on it (Nitrokey docs on factory reset;
  // g10/card-util.c factory_reset refuses unless 3 or 5)
  historicalBytes: "0031F573C00160059000",
  // KDF announced (C0 bit 0x01): card-status prints "KDF setting", which gpg does only then
  // (public gpg --card-status transcripts; g10/card-util.c current_card_status)
  extendedCapabilities: "7D000800080000FF0000",
  extendedLengthInfo: "0202080002020800",
  generalFeatureManagement: null,
  rsaAttributeTail: "002000",
  extraKeySlot: null,
  templates: SPEC_TEMPLATES,
  // "Signature PIN: forced" in every public card-status of a Nitrokey Pro 2
  pw1ValidMultiple: false,
  maxPinLength: [64, 64, 64],
  maxResponse: 0,
  status: ISO_STATUS,
  capabilities: {
    algorithms: { sig: [...RSA, ...NIST], dec: [...RSA, ...NIST], aut: [...RSA, ...NIST] },
    keyAttrChangeable: true,
    factoryReset: true,
    verifyResetP1FF: true,
    kdf: true,
    uif: false,
    resetCode: true,
    extendedLength: true,
    commandChaining: true,
    getChallenge: true,
    mseKeySwap: false,
    keyImport: true,
    algorithmInformation: false,
  },
  latency: GENERIC_LATENCY,
};
