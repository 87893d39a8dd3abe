/**
 * gpg-error codes and the `GpgError` class. Rank 0: imports nothing from the project.
 * Numbers are always computed from code names, never written out by hand.
 * @module
 */

export * from "./codes.ts";
export * from "./gpg_error.ts";
