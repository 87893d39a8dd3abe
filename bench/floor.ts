/**
 * The card-time floor of an operation: what the virtual card's latency model charges for the
 * APDUs the protocol needs, so that a wall time can be split into the card's share and
 * everything else (gpg, gpg-agent, the daemon, the bed's transport). Pure.
 *
 * - stock (`pcsc-shared`, card left verified): the private-key command alone.
 * - scd-ts strict (the default policy) when nothing is held: SELECT of the OpenPGP
 *   application, GET DATA 4F (the same-card check before a cached PIN is sent), VERIFY with
 *   the PIN, the private-key command, VERIFY FF (reset the PIN status) and VERIFY without
 *   data (check that it took).
 *
 * A back-to-back operation inside scd-ts's burst hold needs only the private-key command,
 * like stock; the floor given for it is still the strict one (what the hold saves).
 * @module
 */

import { delayFor, type LatencyInput, parseLatency } from "../src/virtual/latency.ts";
import type { CaseName, Daemon } from "./report.ts";

/** One APDU as the latency model sees it. */
type Apdu = Omit<LatencyInput, "key" | "sw"> & { label: string };

const RSA2048 = { kind: "rsa" as const, bits: 2048 };

const SELECT: Apdu = { label: "SELECT", cla: 0, ins: 0xa4, p1: 0x04, p2: 0, hasData: true };
const GET_AID: Apdu = { label: "GET DATA 4F", cla: 0, ins: 0xca, p1: 0, p2: 0x4f, hasData: false };
const VERIFY_PIN: Apdu = { label: "VERIFY", cla: 0, ins: 0x20, p1: 0, p2: 0x81, hasData: true };
const VERIFY_RESET: Apdu = {
  label: "VERIFY FF",
  cla: 0,
  ins: 0x20,
  p1: 0xff,
  p2: 0x81,
  hasData: false,
};
const VERIFY_STATUS: Apdu = {
  label: "VERIFY status",
  cla: 0,
  ins: 0x20,
  p1: 0,
  p2: 0x81,
  hasData: false,
};

/** The private-key command of a case (RSA-2048 keys, as the bench generates them). */
function keyCommand(name: CaseName): Apdu | undefined {
  switch (name) {
    case "warm-sign":
    case "now-and-then":
      return { label: "PSO:CDS", cla: 0, ins: 0x2a, p1: 0x9e, p2: 0x9a, hasData: true };
    case "decrypt":
      return { label: "PSO:DECIPHER", cla: 0, ins: 0x2a, p1: 0x80, p2: 0x86, hasData: true };
    case "ssh-auth":
    case "ssh-agent-auth":
    case "ssh-login": // one userauth signature per login
    case "ssh-agent-login":
      return { label: "INTERNAL AUTHENTICATE", cla: 0, ins: 0x88, p1: 0, p2: 0, hasData: true };
    default:
      return undefined; // cold cases read the card as well: no single protocol floor
  }
}

/** The APDUs `daemon` needs for one `name` operation on a card nothing holds; [] for none. */
export function floorApdus(daemon: Daemon, name: CaseName): Apdu[] {
  const key = keyCommand(name);
  if (key === undefined) return [];
  if (daemon === "stock") return [key];
  return [SELECT, GET_AID, VERIFY_PIN, key, VERIFY_RESET, VERIFY_STATUS];
}

/** The floor in ms under `latency` (a `--latency` text), or null for cases without one. */
export function floorMs(latency: string, daemon: Daemon, name: CaseName): number | null {
  const apdus = floorApdus(daemon, name);
  if (apdus.length === 0) return null;
  const model = parseLatency(latency);
  return apdus.reduce(
    (sum, { label: _, ...a }) => sum + delayFor(model, { ...a, sw: 0x9000, key: RSA2048 }),
    0,
  );
}
