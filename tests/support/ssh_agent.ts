/**
 * The ssh-agent over a card registry with the daemon's PIN cache, wired as main.ts wires it
 * (for the integration and fuzz tests).
 * @module
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { PinProvider } from "../../src/app/mod.ts";
import { SshReader, sshString } from "../../src/formats/mod.ts";
import { concat, uintBE } from "../../src/util/bytes.ts";
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

/** Something that sends one agent request body and returns the reply body. */
export interface AgentRequester {
  request(body: Uint8Array): Promise<Uint8Array>;
}

/** REQUEST_IDENTITIES: the listed keys. */
export async function identities(
  b: AgentRequester,
): Promise<{ blob: Uint8Array; comment: string }[]> {
  const r = new SshReader(await b.request(Uint8Array.of(11)));
  assertEquals(r.byte(), 12);
  const n = r.uint32();
  const out = [];
  for (let i = 0; i < n; i++) out.push({ blob: r.string().slice(), comment: r.text() });
  r.end();
  return out;
}

/** SIGN_REQUEST: the signature, or undefined when the agent answered otherwise. */
export async function sign(b: AgentRequester, blob: Uint8Array, data: Uint8Array, flags = 0) {
  const reply = await b.request(
    concat(Uint8Array.of(13), sshString(blob), sshString(data), uintBE(flags, 4)),
  );
  if (reply[0] !== 14) return undefined;
  const r = new SshReader(reply.subarray(1));
  const sig = new SshReader(r.string());
  return { algorithm: sig.text(), sig: sig.string().slice() };
}
