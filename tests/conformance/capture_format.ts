/**
 * The file format shared by the e2e capture (tests/e2e/_capture.ts writes it) and the
 * conformance tool (reads it): one JSON file per workflow step,
 * `<dir>/<gnupg>/<daemon>/<workflow>.json`.
 *
 * @module
 */
import type { PinentryPrompt } from "../bed/pinentry.ts";
import type { InsTraffic } from "../../src/virtual/apdu_log.ts";

/** One captured workflow step. */
export interface CapturedWorkflow {
  workflow: string;
  /** The Deno test the step ran in. */
  test: string;
  gnupg: string;
  daemon: string;
  serial: string;
  /** The daemon's Assuan lines (raw: stock's log lines `… DBG: chan_N <- X`, scd-ts's trace). */
  assuan: string[];
  apdus: { total: number; byIns: Record<string, InsTraffic> };
  prompts: PinentryPrompt[];
}
