/**
 * What every command handler of the virtual card gets: persistent store, volatile session,
 * and the hooks through which the card object injects user presence (latency is
 * added around the applet: latency.ts).
 * @module
 */

import type { CommandApdu } from "./command_apdu.ts";
import type { CardProfile } from "./profiles/mod.ts";
import type { Session } from "./session.ts";
import type { CardStore } from "./store.ts";

/** Effects supplied by the card object around the applet. */
export interface AppletHooks {
  /** Resolves when the user confirmed (UIF); throws `StatusError(6600)` when cancelled. */
  awaitTouch(): Promise<void>;
}

/** Handler context. */
export interface AppletContext {
  store: CardStore;
  session: Session;
  hooks: AppletHooks;
  /** The card family being modelled (fixed data: what exists, limits, status words). */
  profile: CardProfile;
}

/** A command handler: returns response data (SW 9000) or throws `StatusError`. */
export type Handler = (cmd: CommandApdu, ctx: AppletContext) => Uint8Array | Promise<Uint8Array>;

/** Empty response data. */
export const NO_DATA: Uint8Array = new Uint8Array(0);
