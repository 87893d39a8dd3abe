/**
 * What a test needs from the card profile for an algorithm, by gpg's name (`rsa3072`,
 * `nistp256`, `ed25519/cv25519`): changeable key attributes and the algorithm in all three
 * slots. For `cardTest(…, { needs })` (_fixture.ts).
 * @module
 */
import { CURVE25519, type Need } from "./_fixture.ts";

/** The needs of setting all three key slots to `algo` (gpg's name). */
export function needsFor(algo: string): Need[] {
  if (algo.startsWith("ed25519")) return [...CURVE25519];
  const name = algo.replace(/^nistp/, "p");
  return ["keyAttrChangeable", `sig:${name}`, `dec:${name}`, `aut:${name}`];
}
