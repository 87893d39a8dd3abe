/**
 * The Deno FFI signatures of the PKCS#11 functions scd-ts calls (ffi/pkcs11.ts binds them from
 * the module's `CK_FUNCTION_LIST`). Every one is `nonblocking`: a module that talks to a card or
 * waits for a PIN pad must not stop the daemon.
 * @module
 */

const U = "u64" as const;
const B = "buffer" as const;
const P = "pointer" as const;

/** The signatures of the functions scd-ts uses (`CK_RV` and handles are CK_ULONG). */
export const SIGNATURES = {
  C_Initialize: { parameters: [B], result: U, nonblocking: true },
  C_Finalize: { parameters: [P], result: U, nonblocking: true },
  C_GetSlotList: { parameters: ["u8", B, B], result: U, nonblocking: true },
  C_GetTokenInfo: { parameters: [U, B], result: U, nonblocking: true },
  C_GetMechanismList: { parameters: [U, B, B], result: U, nonblocking: true },
  C_OpenSession: { parameters: [U, U, P, P, B], result: U, nonblocking: true },
  C_CloseSession: { parameters: [U], result: U, nonblocking: true },
  C_Login: { parameters: [U, U, B, U], result: U, nonblocking: true },
  C_Logout: { parameters: [U], result: U, nonblocking: true },
  C_GetAttributeValue: { parameters: [U, U, B, U], result: U, nonblocking: true },
  C_FindObjectsInit: { parameters: [U, B, U], result: U, nonblocking: true },
  C_FindObjects: { parameters: [U, B, U, B], result: U, nonblocking: true },
  C_FindObjectsFinal: { parameters: [U], result: U, nonblocking: true },
  C_SignInit: { parameters: [U, B, U], result: U, nonblocking: true },
  C_Sign: { parameters: [U, B, U, B, B], result: U, nonblocking: true },
  C_DecryptInit: { parameters: [U, B, U], result: U, nonblocking: true },
  C_Decrypt: { parameters: [U, B, U, B, B], result: U, nonblocking: true },
  C_DeriveKey: { parameters: [U, B, U, B, U, B], result: U, nonblocking: true },
  // GENKEY and PASSWD (ffi/pkcs11_admin.ts)
  C_InitPIN: { parameters: [U, B, U], result: U, nonblocking: true },
  C_SetPIN: { parameters: [U, B, U, B, U], result: U, nonblocking: true },
  C_DestroyObject: { parameters: [U, U], result: U, nonblocking: true },
  C_GenerateKeyPair: { parameters: [U, B, B, U, B, U, B, B], result: U, nonblocking: true },
} as const satisfies Record<string, Deno.UnsafeCallbackDefinition & { nonblocking: true }>;

/** The functions scd-ts binds. */
export type Pkcs11FunctionName = keyof typeof SIGNATURES;
