/** SmartPGP (ANSSI-FR, Java Card applet, OpenPGP 3.4), default build. Sources: docs/cards.md. @module */

import { OPENPGP34 as GENERIC_LATENCY } from "../latency.ts";
import { type CardProfile, ISO_STATUS, SPEC_TEMPLATES } from "./profile.ts";

const RSA = ["rsa2048", "rsa3072", "rsa4096"];
const NIST = ["p256", "p384", "p521"];

export const SMARTPGP: CardProfile = {
  name: "smartpgp",
  description: "SmartPGP applet, default build (no extended length)",
  version: 0x0304,
  manufacturer: 0xafaf,
  historicalBytes: "00C1C573C00180059000",
  extendedCapabilities: "FF030020048000FF0000",
  extendedLengthInfo: "0202010002020100",
  generalFeatureManagement: null,
  rsaAttributeTail: "001103",
  extraKeySlot: null,
  templates: SPEC_TEMPLATES,
  // USER_PIN_DEFAULT_FORCE_VERIFY_SIGNATURE = true (src/fr/anssi/smartpgp/Constants.java)
  pw1ValidMultiple: false,
  maxPinLength: [127, 127, 127],
  maxResponse: 256,
  status: { ...ISO_STATUS, verifyResetUnsupported: 0x6b00 },
  capabilities: {
    algorithms: { sig: [...RSA, ...NIST], dec: [...RSA, ...NIST], aut: [...RSA, ...NIST] },
    keyAttrChangeable: true,
    factoryReset: true,
    verifyResetP1FF: true,
    kdf: true,
    uif: false,
    resetCode: true,
    extendedLength: false,
    commandChaining: true,
    getChallenge: true,
    mseKeySwap: false,
    keyImport: true,
    algorithmInformation: true,
  },
  latency: GENERIC_LATENCY,
};
