/**
 * PKCS#11 tokens as card applications (issue 23, docs/pkcs11.md): modules loaded with FFI
 * (ffi/pkcs11.ts), one token per slot, one session per operation. Invariant: nothing here
 * keeps a session or a login after a call returns; what is kept is the loaded module (its
 * C_Initialize is done once) and what was read (keys), dropped by `invalidate()`.
 * @module
 */

export * from "./application.ts";
export * from "./errors.ts";
export * from "./login.ts";
export * from "./modules.ts";
export * from "./public_key.ts";
export * from "./token.ts";
