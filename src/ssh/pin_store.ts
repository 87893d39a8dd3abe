/**
 * The agent's PIN cache with a second place for user PINs (`pin-store keyring`): what the
 * card accepted is also written to the {@linkcode PinStore}, and when the memory cache has
 * nothing (an agent started again) the store answers before a pinentry is asked. The store
 * follows the cache's rules (src/scd/pin/cache.ts): the user PIN only, for VERIFY, never for a
 * single-use (forced signature) request, only while the card reports 3 tries left (or does
 * not say); a PIN the card rejected is dropped and not sent again. `ssh-add -e`/`-D` drop the
 * stored PINs too; the agent ending does not (that is what the store is for).
 * @module
 */

import type { PinProvider, PinQuery, PinRequest } from "../app/mod.ts";
import { getLog } from "../log.ts";
import { wipe } from "../util/bytes.ts";
import type { SshCard, SshPinCache } from "./agent.ts";
import type { PinStore } from "./keyring.ts";

const log = getLog("ssh");

function userVerify(q: PinQuery): boolean {
  return q.kind === "user" && q.purpose === "verify" && !q.singleUse;
}

/** The same rule as the memory cache: stock's `remaining >= 3`. */
function mayAnswer(q: PinQuery): boolean {
  return userVerify(q) && (q.triesLeft === undefined || q.triesLeft >= 3);
}

/** `pins` with `store` behind it. */
export function withPinStore(pins: SshPinCache, store: PinStore): SshPinCache {
  // store operations run one after another, and a lookup waits for the writes before it
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(op: () => Promise<T>): Promise<T> => {
    const next = queue.then(op);
    queue = next.catch((e) => log.warning("PIN store: {error}", { error: e }));
    return next;
  };
  return {
    provider(card: SshCard, ask: PinProvider, options?: { fresh?: boolean }) {
      const held = new Map<PinRequest, Uint8Array>();
      const serial = card.serialNo;
      const inner: PinProvider = {
        async get(request) {
          if (!options?.fresh && mayAnswer(request)) {
            const pin = await enqueue(() => store.get(serial));
            if (pin) {
              log.debug("PIN of card {serial} from the keyring", { serial });
              held.set(request, pin.slice());
              return pin;
            }
          }
          const pin = await ask.get(request);
          if (userVerify(request)) held.set(request, pin.slice());
          return pin;
        },
        report(request, outcome) {
          const pin = held.get(request);
          held.delete(request);
          if (userVerify(request)) {
            if (outcome === "rejected") void enqueue(() => store.drop(serial));
            else if (pin) void enqueue(() => store.put(serial, pin)).finally(() => wipe(pin));
            else void enqueue(() => store.touch(serial)); // the memory cache answered
          }
          if (outcome === "rejected" || !userVerify(request)) wipe(pin);
          ask.report?.(request, outcome);
        },
        forget(kind) {
          if (kind === "user") void enqueue(() => store.drop(serial));
          ask.forget?.(kind);
        },
      };
      const provider = pins.provider(card, inner, options);
      const dispose = provider[Symbol.dispose].bind(provider);
      return Object.assign(provider, {
        [Symbol.dispose]() {
          for (const pin of held.values()) wipe(pin);
          held.clear();
          dispose();
        },
      });
    },
    drop(card) {
      pins.drop(card);
      void enqueue(() => store.drop(card.serialNo));
    },
    clear() {
      pins.clear();
      void enqueue(() => store.clear());
    },
    close() {
      (pins.close ?? pins.clear).call(pins);
    },
    settled: () => queue.then(() => {}),
  };
}
