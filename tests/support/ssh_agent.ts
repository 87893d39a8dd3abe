/**
 * The ssh-agent over a card registry with the daemon's PIN cache, wired as main.ts wires it
 * (for the integration and fuzz tests).
 * @module
 */

import type { PinProvider } from "../../src/app/mod.ts";
import { CachingPinProvider, PinCache } from "../../src/scd/mod.ts";
import {
  type PinStore,
  SshAgent,
  type SshCardSource,
  type SshPinCache,
  withPinStore,
} from "../../src/ssh/mod.ts";

/** An agent over `cards`; `ask` stands in for the pinentry. */
export function agentOver(
  cards: SshCardSource,
  ask: PinProvider,
  options: { refuseForwarded?: boolean; store?: PinStore; notifySend?: string } = {},
): { agent: SshAgent; cache: PinCache } {
  const cache = new PinCache({ ttlMs: 60_000 });
  const memory: SshPinCache = {
    provider: (card, inner, o) => new CachingPinProvider(inner, cache, card, { answer: !o?.fresh }),
    drop: (card) => cache.drop(card),
    clear: () => cache.clear(),
  };
  const agent = new SshAgent({
    cards,
    pins: options.store ? withPinStore(memory, options.store) : memory,
    ask,
    refuseForwarded: options.refuseForwarded,
    notifySend: options.notifySend,
  });
  return { agent, cache };
}
