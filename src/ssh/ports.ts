/**
 * What the agent is built from (main.ts assembles these from the daemon's pieces): the card
 * registry, the PIN cache, the pinentry and the options.
 * @module
 */

import type { CardApplication, PinProvider } from "../app/mod.ts";

/** A card as the registry hands it out (src/scd CardEntry has this shape). */
export interface SshCard {
  readonly id: number;
  readonly reader: string;
  readonly serialNo: string;
  readonly app: CardApplication | undefined;
}

/** The card registry, as far as the agent uses it. */
export interface SshCardSource {
  /** Bring the known cards up to the readers' states (opens new cards). */
  scan(signal?: AbortSignal): Promise<unknown>;
  /** Known cards, most recently used first. */
  readonly cards: readonly SshCard[];
}

/** The PIN cache, as far as the agent uses it (src/scd PinCache + CachingPinProvider). */
export interface SshPinCache {
  /**
   * A provider for one operation on `card`: a cached PIN when one may answer (never with
   * `fresh`), else `ask`; it keeps what the card accepted and drops what it rejected.
   */
  provider(
    card: SshCard,
    ask: PinProvider,
    options?: { fresh?: boolean },
  ): PinProvider & Disposable;
  /** Drop the PINs of `card`. */
  drop(card: SshCard): void;
  /** Drop every PIN. */
  clear(): void;
  /** The agent ends: wipe the PINs in memory (a persistent store keeps its copies); else clear. */
  close?(): void;
  /** Resolves once the drops and writes asked for so far reached a persistent store. */
  settled?(): Promise<void>;
}

/** What {@linkcode SshAgent} is built from. */
export interface SshAgentOptions {
  cards: SshCardSource;
  pins: SshPinCache;
  /** Asks a person (pinentry); undefined: no pinentry, a signature without a cached PIN fails. */
  ask?: PinProvider | undefined;
  /** `notify-send` to tell the user a card waits for a touch; undefined: the log only. */
  notifySend?: string | undefined;
  /**
   * `--refuse-forwarded`: no signature on a connection bound as a forwarding (ssh -A) or
   * whose session-bind failed (docs/ssh-agent.md).
   */
  refuseForwarded?: boolean | undefined;
}
