/** Gnuk 1.2 (FSIJ; OpenPGP 2.0 with 3.x additions: KDF, UIF, FA). Sources: docs/cards.md. @module */

import { OPENPGP34 as GENERIC_LATENCY } from "../latency.ts";
import { type CardProfile, ISO_STATUS, SPEC_TEMPLATES } from "./profile.ts";

export const GNUK: CardProfile = {
  name: "gnuk",
  // C0 (cert DO) and 7F74 as here only in a build with --enable-certdo --enable-factory-reset
  // (gnuk configure; both default to no) and the ack button
  description: "Gnuk 1.2 token (FST-01 and similar), built with ACKBTN, CERTDO, life cycle",
  version: 0x0200,
  manufacturer: 0xf517,
  atr: "3BDA11FF81B1FE551F03" + "00318473800180059000" + "E1",
  historicalBytes: "00318473800180059000",
  extendedCapabilities: "75000020080000FF0100",
  extendedLengthInfo: null,
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
      // RSA 4096 too: the attribute is accepted and listed in FA (gnuk src/openpgp-do.c
      // algorithm attribute table and algorithm information)
      sig: ["rsa2048", "rsa4096", "p256", "ed25519"],
      dec: ["rsa2048", "rsa4096", "p256", "x25519"],
      aut: ["rsa2048", "rsa4096", "p256", "ed25519"],
    },
    keyAttrChangeable: true,
    factoryReset: true,
    verifyResetP1FF: true,
    kdf: true,
    uif: true,
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
