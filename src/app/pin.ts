/**
 * How card applications ask for PINs. The application builds the exact prompt stock
 * scdaemon would send in `INQUIRE NEEDPIN` and asks a {@link PinProvider}; the scd layer
 * implements the provider (INQUIRE to gpg-agent, its own PIN cache). PINs are bytes, never
 * strings; the application wipes them after use.
 * @module
 */

/** Which secret a request is about. */
export type PinKind = "user" | "admin" | "reset-code";

/** Why the secret is needed: to VERIFY, as the current value in a change, or as a new value. */
export type PinPurpose = "verify" | "current" | "new";

/** One request for a secret. */
export interface PinRequest {
  /**
   * The NEEDPIN prompt exactly as stock scdaemon words it: optional `|FLAGS|` block
   * (`||`, `|A|`, `|N|`, `|AN|`, `|RN|`, `|R|`), `%0A` for line breaks, raw 0x1E/0x1F bytes
   * for pinentry alignment (scd/app-openpgp.c `verify_a_chv`, `get_prompt_info`).
   */
  prompt: string;
  /**
   * The same prompt as exact bytes (card data such as the holder name is passed through
   * unchanged); what an INQUIRE NEEDPIN must carry. `prompt` is its UTF-8 reading.
   */
  promptBytes: Uint8Array;
  kind: PinKind;
  purpose: PinPurpose;
  /**
   * gnupg's CHV number: 1 = user PIN for signing (VERIFY 81), 2 = user PIN for other
   * operations (VERIFY 82), 3 = admin PIN (VERIFY 83); 0 for the reset code.
   */
  chvNo: 0 | 1 | 2 | 3;
  /** Card serial number (hex AID) the PIN is for, e.g. as a cache key. */
  serialNo: string;
  /** Minimum length the application will accept (shorter ones fail without a card round trip). */
  minLength: number;
  /** Tries left before the PIN blocks, when the application knows it. */
  triesLeft?: number;
  /**
   * True when the card accepts this verification for one operation only (PW1 for signing
   * while the signature PIN is forced: PW status byte 0 = 00). Stock asks for it every time,
   * so a PIN cache must not answer such a request.
   */
  singleUse?: boolean;
}

/** Outcome of a PIN the application sent to the card. */
export type PinOutcome = "accepted" | "rejected";

/** What a provider needs to know to tell whether it could answer without asking a person. */
export type PinQuery = Pick<PinRequest, "kind" | "purpose" | "chvNo" | "triesLeft" | "singleUse">;

/** Source of PINs (gpg-agent via INQUIRE NEEDPIN, a cache, a test script). */
export interface PinProvider {
  /** Return the PIN bytes (no terminator). Throw to cancel. */
  get(request: PinRequest): Promise<Uint8Array>;
  /**
   * Told whether the card accepted the PIN it got for `request`. A provider with a cache
   * must drop the entry on "rejected": the application never resends a rejected PIN.
   */
  report?(request: PinRequest, outcome: PinOutcome): void;
  /**
   * True when `get` would answer `query` at once, without asking a person (a cached PIN, an
   * answer given before). The application then skips reading what only a prompt needs.
   */
  canAnswer?(query: PinQuery): boolean;
  /**
   * Told that the card's value of `kind` changed or may have (a PIN change or reset, new key
   * attributes or KDF setting, after which stock forgets every verification): a provider
   * with a cache drops its copies, so they are never sent again.
   */
  forget?(kind: PinKind): void;
}
