/**
 * The workflows of the smoke set per profile (tests/e2e/profile_smoke_test.ts), in the order
 * they run: the rows of docs/cards.md "Workflows per profile" (tests/e2e/profile_matrix.ts).
 * @module
 */
export const SMOKE_WORKFLOWS = [
  "card-status",
  "generate",
  "sign",
  "second sign",
  "decrypt",
  "ssh auth",
  "PIN isolation",
  "ext. length",
  "passwd",
  "wrong PIN",
] as const;

/** One workflow of the smoke set. */
export type SmokeWorkflow = typeof SMOKE_WORKFLOWS[number];
