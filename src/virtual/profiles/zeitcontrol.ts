/** ZeitControl OpenPGP card 2.1 (BasicCard). Sources: docs/cards.md. @module */

import { OPENPGP34 as GENERIC_LATENCY } from "../latency.ts";
import { type CardProfile, ISO_STATUS, SPEC_TEMPLATES } from "./profile.ts";

export const ZEITCONTROL21: CardProfile = {
  name: "zeitcontrol21",
  description: "ZeitControl OpenPGP card 2.1 (extended length, no command chaining)",
  version: 0x0201,
  manufacturer: 0x0005,
  // OpenSC src/libopensc/card-openpgp.c pgp_atrs (OpenPGP card 2.x)
  atr: "3BDA18FF81B1FE751F03" + "0031C573C00140009000" + "0C",
  // status byte 05 in 5F52 (open-keychain SecurityTokenUtilsTest.java dump of a 2.1 card)
  historicalBytes: "0031C573C00140059000",
  extendedCapabilities: "7C000800080008000800",
  extendedLengthInfo: null,
  generalFeatureManagement: null,
  rsaAttributeTail: "002000",
  extraKeySlot: null,
  templates: SPEC_TEMPLATES,
  pw1ValidMultiple: true,
  maxPinLength: [32, 32, 32],
  maxResponse: 0,
  status: ISO_STATUS,
  capabilities: {
    algorithms: {
      // RSA 4096 seen on the 2.1 card (Nitrokey Pro firmware issue 34); 3072 modelled
      sig: ["rsa2048", "rsa3072", "rsa4096"],
      dec: ["rsa2048", "rsa3072", "rsa4096"],
      aut: ["rsa2048", "rsa3072", "rsa4096"],
    },
    keyAttrChangeable: true,
    // a "card version 2.1 feature" (gnupg g10/card-util.c factory_reset)
    factoryReset: true,
    verifyResetP1FF: false,
    kdf: false,
    uif: false,
    resetCode: true,
    extendedLength: true,
    commandChaining: false,
    getChallenge: true,
    mseKeySwap: false,
    keyImport: true,
    algorithmInformation: false,
  },
  latency: GENERIC_LATENCY,
};
