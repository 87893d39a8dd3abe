/**
 * The virtual OpenPGP card 3.4 (card side): an independent implementation used as the test
 * bed behind pcscd + vpcd and in process. It never imports src/openpgp, so a host-side
 * parsing bug cannot cancel itself out.
 * @module
 */

export { VirtualCard, type VirtualCardOptions } from "./card.ts";
export { FACTORY_PINS } from "./store.ts";
export { ApduLog, type InsTraffic, type VerifyRecord } from "./apdu_log.ts";
export { buildAid, buildAtr, HISTORICAL_BYTES } from "./capabilities.ts";
export {
  delayFor,
  LATENCY_MODELS,
  type LatencyModel,
  type LatencyRule,
  parseLatency,
} from "./latency.ts";
export {
  type CardProfile,
  DEFAULT_PROFILE,
  profileByName,
  type ProfileCapabilities,
  PROFILES,
  type SlotAlgorithms,
  UnknownProfileError,
} from "./profiles/mod.ts";
