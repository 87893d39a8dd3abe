/**
 * Generic ISO 7816-4: APDU encoding, BER-TLV, status words and the processor stack
 * (chaining, GET RESPONSE, exact-length resend, extended length). Knows nothing about
 * OpenPGP and keeps no card handle: every function works on the channel it is given.
 * @module
 */

export * from "./apdu.ts";
export * from "./errors.ts";
export * from "./processors.ts";
export * from "./sw.ts";
export * from "./tlv.ts";
export type { CardChannel } from "../pcsc/channel.ts";
