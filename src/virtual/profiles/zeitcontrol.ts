/** ZeitControl OpenPGP card 2.1 (BasicCard). Sources: docs/cards.md. @module */

import { OPENPGP34 as GENERIC_LATENCY } from "../latency.ts";
import { type CardProfile, ISO_STATUS } from "./profile.ts";

export const ZEITCONTROL21: CardProfile = {
  name: "zeitcontrol21",
  description: "ZeitControl OpenPGP card 2.1 (extended length, no command chaining)",
  version: 0x0201,
  manufacturer: 0x0005,
  atr: "3BDA18FF81B1FE751F03" + "0031C573C00140009000" + "0C",
  historicalBytes: "0031C573C00140009000",
  extendedCapabilities: "7C000800080008000800",
  extendedLengthInfo: null,
  generalFeatureManagement: null,
  rsaAttributeTail: "002000",
  pw1ValidMultiple: true,
  maxPinLength: [32, 32, 32],
  maxResponse: 0,
  status: ISO_STATUS,
  capabilities: {
    algorithms: {
      sig: ["rsa2048", "rsa3072"],
      dec: ["rsa2048", "rsa3072"],
      aut: ["rsa2048", "rsa3072"],
    },
    keyAttrChangeable: true,
    factoryReset: false,
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
