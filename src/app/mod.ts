/**
 * The card-application contract (gnupg's app vtable analogue): the interface, key and PIN
 * types, the status sink and the domain errors. Types only plus error classes; no I/O and
 * no knowledge of Assuan or gpg-error codes.
 * @module
 */

export * from "./application.ts";
export * from "./errors.ts";
export * from "./key.ts";
export * from "./pin.ts";
export * from "./status.ts";
