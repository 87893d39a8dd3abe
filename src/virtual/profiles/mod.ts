/**
 * Card profiles of the virtual card (issue 10): one record per card family people own. Sources
 * of every value and what is unknown: docs/cards.md.
 * @module
 */

import { type LatencyModel, NONE } from "../latency.ts";
import { GNUK } from "./gnuk.ts";
import { NITROKEY3, NITROKEY_PRO2 } from "./nitrokey.ts";
import { OPENPGP34 } from "./openpgp34.ts";
import type { CardProfile } from "./profile.ts";
import { SMARTPGP } from "./smartpgp.ts";
import { YUBIKEY4, YUBIKEY5, YUBIKEY5_FW54 } from "./yubikey.ts";
import { ZEITCONTROL21 } from "./zeitcontrol.ts";

export type {
  CardProfile,
  ExtraKeySlot,
  ProfileCapabilities,
  ProfileStatusWords,
  SlotAlgorithms,
  TemplateLayout,
} from "./profile.ts";
export { algorithmNameOf, attributesOf, SLOT_NAMES } from "./algorithms.ts";

/** Today's card; state files without a profile are this one. */
export const DEFAULT_PROFILE = "openpgp34";

/** Every profile by name. */
export const PROFILES: Readonly<Record<string, CardProfile>> = Object.fromEntries(
  [
    OPENPGP34,
    YUBIKEY5,
    YUBIKEY5_FW54,
    YUBIKEY4,
    NITROKEY3,
    NITROKEY_PRO2,
    GNUK,
    SMARTPGP,
    ZEITCONTROL21,
  ].map(
    (p) => [p.name, p],
  ),
);

/** Thrown for a profile name that does not exist. */
export class UnknownProfileError extends Error {
  override name = "UnknownProfileError";
}

/** The profile called `name` (case-insensitive); a clear error listing the valid names. */
export function profileByName(name: string): CardProfile {
  const profile = PROFILES[name.toLowerCase()];
  if (profile === undefined) {
    throw new UnknownProfileError(
      `Unknown card profile "${name}": use one of ${Object.keys(PROFILES).join(", ")}`,
    );
  }
  return profile;
}

/**
 * Latency model names for `--latency` on a card of `profile`: `none`, every profile's name
 * (its model), and `real` = this profile's model.
 */
export function latencyModelsFor(profile: CardProfile): Readonly<Record<string, LatencyModel>> {
  const byProfile = Object.values(PROFILES).map((p) => [p.name, p.latency] as const);
  return Object.fromEntries([["none", NONE], ...byProfile, ["real", profile.latency]]);
}
