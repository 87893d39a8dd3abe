/**
 * Small statistics for the bench: percentiles by linear interpolation between the closest
 * ranks (numpy's default), and rounding for the report.
 * @module
 */

/** The `p`-th percentile (0..100) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (Math.min(Math.max(p, 0), 100) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** p50 and p95 of `values`, rounded to 0.1. */
export function p50p95(values: readonly number[]): { p50: number; p95: number } {
  return { p50: round(percentile(values, 50)), p95: round(percentile(values, 95)) };
}

/** `x` rounded to `digits` decimals (default 1); NaN stays NaN. */
export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Per-operation mean of counters summed over `runs` operations. */
export function perOperation(
  totals: Readonly<Record<string, number>>,
  runs: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(totals)) out[k] = round(v / Math.max(runs, 1), 2);
  return out;
}
