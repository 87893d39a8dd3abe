/** Today's virtual card: a generic OpenPGP card 3.4 (the default profile). @module */

import { OPENPGP34 as LATENCY } from "../latency.ts";
import { ALL_ALGORITHMS } from "./algorithms.ts";
import { type CardProfile, ISO_STATUS, SPEC_TEMPLATES } from "./profile.ts";

export const OPENPGP34: CardProfile = {
  name: "openpgp34",
  description: "generic OpenPGP card 3.4 (the virtual card as it always was)",
  version: 0x0304,
  manufacturer: 0xfffe,
  historicalBytes: "0031C573C001C0059000",
  extendedCapabilities: "7D000800080000FF0000",
  extendedLengthInfo: "02020C0002020C00",
  generalFeatureManagement: "810120",
  rsaAttributeTail: "002000",
  extraKeySlot: null,
  templates: SPEC_TEMPLATES,
  pw1ValidMultiple: true,
  maxPinLength: [127, 127, 127],
  maxResponse: 0,
  status: ISO_STATUS,
  capabilities: {
    algorithms: ALL_ALGORITHMS,
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
  latency: LATENCY,
};
