/**
 * Which readers a reader setting names (`reader` in scd-ts.conf, `SCD_TS_READER`,
 * `--reader-port`, `probe --reader`): one rule for listing, for monitor events and for the user
 * commands' reader choice.
 * @module
 */

/**
 * The readers of `all` (pcscd's order) that `wanted` names: an exact name, else — all digits —
 * the 0-based index into the list (as 2.4's `reader-port N`), else every reader whose name
 * contains it. Undefined or empty: every reader.
 */
export function matchReaders(all: readonly string[], wanted: string | undefined): string[] {
  if (!wanted) return [...all];
  if (all.includes(wanted)) return [wanted];
  if (/^\d+$/.test(wanted)) return all.slice(Number(wanted), Number(wanted) + 1);
  return all.filter((r) => r.includes(wanted));
}
