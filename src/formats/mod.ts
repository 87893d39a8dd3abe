/**
 * Crypto formats gpg speaks with scdaemon: S-expressions, keygrips, DigestInfo prefixes,
 * public-key forms, v4 fingerprints, private-key S-expressions. Pure functions, no I/O.
 * @module
 */

export * from "./curves.ts";
export * from "./digest_info.ts";
export * from "./fingerprint.ts";
export * from "./keygrip.ts";
export * from "./private_key.ts";
export * from "./public_key.ts";
export * from "./sexp.ts";
export * from "./ssh_wire.ts";
