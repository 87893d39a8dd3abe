/**
 * Parses the human-readable `gpg --card-status` listing (gnupg 2.2 and 2.4,
 * g10/card-util.c `current_card_status`) into its labelled fields.
 *
 * @module
 */

/** The fields of one card-status listing, keyed by label without the dot padding. */
export interface CardStatus {
  /** Every "Label ....: value" line, e.g. fields.get("PIN retry counter") === "3 0 3". */
  fields: Map<string, string>;
  /** "created" lines under each key, keyed by the key's label. */
  created: Map<string, string>;
  /** The raw output. */
  text: string;
}

/** Parses `gpg --card-status` output. */
export function parseCardStatus(text: string): CardStatus {
  const fields = new Map<string, string>();
  const created = new Map<string, string>();
  let lastKey: string | undefined;
  for (const line of text.split("\n")) {
    const m = /^(\S[^:]*?)[ .]*: ?(.*)$/.exec(line);
    if (m !== null) {
      lastKey = m[1]!.trim();
      fields.set(lastKey, m[2]!.trim());
      continue;
    }
    const c = /^\s+created[ .]*: (.*)$/.exec(line);
    if (c !== null && lastKey !== undefined) created.set(lastKey, c[1]!.trim());
  }
  return { fields, created, text };
}

/** A field's value; throws when the listing lacks it. */
export function field(status: CardStatus, label: string): string {
  const v = status.fields.get(label);
  if (v === undefined) {
    throw new Error(`Cannot find "${label}" in card status:\n${status.text}`);
  }
  return v;
}

/** Fingerprint shown for a key slot ("Signature key" …) without spaces, or undefined for [none]. */
export function keyFingerprint(status: CardStatus, label: string): string | undefined {
  const v = field(status, label);
  return v === "[none]" ? undefined : v.replaceAll(" ", "");
}
