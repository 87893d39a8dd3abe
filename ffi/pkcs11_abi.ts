/**
 * The only file that knows PKCS#11's C numbers and struct layouts (Cryptoki v2.40, plus the
 * v3.0 EdDSA names): return values, flags, attribute/class/key/mechanism types, the
 * function-list order, and codecs for the structs scd-ts passes. Nothing here loads a library.
 *
 * Facts from the OASIS PKCS#11 v2.40/v3.0 headers (`pkcs11t.h`, `pkcs11f.h`, as shipped by
 * OpenSC and p11-kit). On Linux LP64 `CK_ULONG` is 8 bytes and structs use natural alignment
 * (the headers set no packing outside Windows):
 *
 * ```text
 * CK_ATTRIBUTE  (24)  0 type  8 pValue  16 ulValueLen
 * CK_MECHANISM  (24)  0 mechanism  8 pParameter  16 ulParameterLen
 * CK_C_INITIALIZE_ARGS (48)  0..31 four mutex callbacks  32 flags  40 pReserved
 * CK_TOKEN_INFO (208)  0 label[32]  32 manufacturerID[32]  64 model[16]  80 serialNumber[16]
 *                      96 flags  104..183 ten CK_ULONG counters (136 ulMaxPinLen, 144 ulMinPinLen)
 *                      184 hardwareVersion  186 firmwareVersion  188 utcTime[16]
 * CK_FUNCTION_LIST     0 CK_VERSION (2 bytes, padded to 8), then one pointer per function
 * ```
 * @module
 */

/** `CK_ULONG`'s width on Linux LP64. */
export const CK_ULONG_SIZE = 8;

/** `CK_UNAVAILABLE_INFORMATION` (~0UL): an attribute's length when it cannot be read. */
export const CK_UNAVAILABLE_INFORMATION = 0xffff_ffff_ffff_ffffn;

/** Return values (CK_RV) scd-ts names in messages or acts on. */
export const CKR = {
  CKR_OK: 0x0,
  CKR_CANCEL: 0x1,
  CKR_HOST_MEMORY: 0x2,
  CKR_SLOT_ID_INVALID: 0x3,
  CKR_GENERAL_ERROR: 0x5,
  CKR_FUNCTION_FAILED: 0x6,
  CKR_ARGUMENTS_BAD: 0x7,
  CKR_NEED_TO_CREATE_THREADS: 0x9,
  CKR_CANT_LOCK: 0xa,
  CKR_ATTRIBUTE_SENSITIVE: 0x11,
  CKR_ATTRIBUTE_TYPE_INVALID: 0x12,
  CKR_ATTRIBUTE_VALUE_INVALID: 0x13,
  CKR_ACTION_PROHIBITED: 0x1b,
  CKR_DATA_INVALID: 0x20,
  CKR_DATA_LEN_RANGE: 0x21,
  CKR_DEVICE_ERROR: 0x30,
  CKR_DEVICE_MEMORY: 0x31,
  CKR_DEVICE_REMOVED: 0x32,
  CKR_ENCRYPTED_DATA_INVALID: 0x40,
  CKR_ENCRYPTED_DATA_LEN_RANGE: 0x41,
  CKR_FUNCTION_CANCELED: 0x50,
  CKR_FUNCTION_NOT_SUPPORTED: 0x54,
  CKR_KEY_HANDLE_INVALID: 0x60,
  CKR_KEY_SIZE_RANGE: 0x62,
  CKR_KEY_TYPE_INCONSISTENT: 0x63,
  CKR_KEY_FUNCTION_NOT_PERMITTED: 0x68,
  CKR_MECHANISM_INVALID: 0x70,
  CKR_MECHANISM_PARAM_INVALID: 0x71,
  CKR_OBJECT_HANDLE_INVALID: 0x82,
  CKR_OPERATION_ACTIVE: 0x90,
  CKR_OPERATION_NOT_INITIALIZED: 0x91,
  CKR_PIN_INCORRECT: 0xa0,
  CKR_PIN_INVALID: 0xa1,
  CKR_PIN_LEN_RANGE: 0xa2,
  CKR_PIN_EXPIRED: 0xa3,
  CKR_PIN_LOCKED: 0xa4,
  CKR_SESSION_CLOSED: 0xb0,
  CKR_SESSION_COUNT: 0xb1,
  CKR_SESSION_HANDLE_INVALID: 0xb3,
  CKR_SIGNATURE_INVALID: 0xc0,
  CKR_TEMPLATE_INCOMPLETE: 0xd0,
  CKR_TOKEN_NOT_PRESENT: 0xe0,
  CKR_TOKEN_NOT_RECOGNIZED: 0xe1,
  CKR_USER_ALREADY_LOGGED_IN: 0x100,
  CKR_USER_NOT_LOGGED_IN: 0x101,
  CKR_USER_PIN_NOT_INITIALIZED: 0x102,
  CKR_USER_TYPE_INVALID: 0x103,
  CKR_SESSION_READ_ONLY: 0xb5,
  CKR_TEMPLATE_INCONSISTENT: 0xd1,
  CKR_TOKEN_WRITE_PROTECTED: 0xe2,
  CKR_DOMAIN_PARAMS_INVALID: 0x130,
  CKR_CURVE_NOT_SUPPORTED: 0x140,
  CKR_BUFFER_TOO_SMALL: 0x150,
  CKR_CRYPTOKI_NOT_INITIALIZED: 0x190,
  CKR_CRYPTOKI_ALREADY_INITIALIZED: 0x191,
  CKR_FUNCTION_REJECTED: 0x200,
} as const;

/** `CKR_…` name of a return value, or its hex when the table lacks it (vendor codes). */
export function ckrName(rv: number): string {
  for (const [name, value] of Object.entries(CKR)) if (value === rv) return name;
  return `CKR_0x${rv.toString(16).toUpperCase()}`;
}

/** `CK_C_INITIALIZE_ARGS.flags`: the module may use the OS's locking. */
export const CKF_OS_LOCKING_OK = 0x2;
/** `CK_SLOT_INFO.flags`. */
export const CKF_TOKEN_PRESENT = 0x1;
/** `CK_TOKEN_INFO.flags`. */
export const CKF_TOKEN = {
  CKF_WRITE_PROTECTED: 0x2,
  CKF_LOGIN_REQUIRED: 0x4,
  CKF_USER_PIN_INITIALIZED: 0x8,
  CKF_PROTECTED_AUTHENTICATION_PATH: 0x100,
  CKF_TOKEN_INITIALIZED: 0x400,
  CKF_USER_PIN_COUNT_LOW: 0x1_0000,
  CKF_USER_PIN_FINAL_TRY: 0x2_0000,
  CKF_USER_PIN_LOCKED: 0x4_0000,
  CKF_SO_PIN_COUNT_LOW: 0x10_0000,
  CKF_SO_PIN_FINAL_TRY: 0x20_0000,
  CKF_SO_PIN_LOCKED: 0x40_0000,
} as const;
/** `C_OpenSession` flags. */
export const CKF_RW_SESSION = 0x2;
export const CKF_SERIAL_SESSION = 0x4;
/** `C_Login` user types. */
export const CKU_SO = 0;
export const CKU_USER = 1;
export const CKU_CONTEXT_SPECIFIC = 2;

/** Object classes. */
export const CKO_CERTIFICATE = 1;
export const CKO_SECRET_KEY = 4;
export const CKO_PUBLIC_KEY = 2;
export const CKO_PRIVATE_KEY = 3;

/** Key types (CKK_EC_EDWARDS is v3.0). */
export const CKK_RSA = 0x0;
export const CKK_EC = 0x3;
export const CKK_EC_EDWARDS = 0x40;
/** PKCS#11 v3.0 Montgomery keys (X25519): OpenSC gives a card's Curve25519 key this type. */
export const CKK_EC_MONTGOMERY = 0x41;
export const CKK_GENERIC_SECRET = 0x10;

/** Attribute types. */
export const CKA = {
  CKA_CLASS: 0x0,
  CKA_TOKEN: 0x1,
  CKA_PRIVATE: 0x2,
  CKA_LABEL: 0x3,
  CKA_VALUE: 0x11,
  CKA_KEY_TYPE: 0x100,
  CKA_ID: 0x102,
  CKA_ENCRYPT: 0x104,
  CKA_DECRYPT: 0x105,
  CKA_SENSITIVE: 0x103,
  CKA_SIGN: 0x108,
  CKA_VERIFY: 0x10a,
  CKA_DERIVE: 0x10c,
  CKA_MODULUS: 0x120,
  CKA_MODULUS_BITS: 0x121,
  CKA_PUBLIC_EXPONENT: 0x122,
  CKA_VALUE_LEN: 0x161,
  CKA_EXTRACTABLE: 0x162,
  CKA_EC_PARAMS: 0x180,
  CKA_EC_POINT: 0x181,
  CKA_ALWAYS_AUTHENTICATE: 0x202,
} as const;

/** Mechanisms (CKM_EDDSA is v3.0). */
export const CKM_RSA_PKCS_KEY_PAIR_GEN = 0x0;
export const CKM_RSA_PKCS = 0x1;
export const CKM_EC_KEY_PAIR_GEN = 0x1040;
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_ECDSA = 0x1041;
export const CKM_EDDSA = 0x1057;
export const CKM_ECDH1_DERIVE = 0x1050;
/** `CK_EC_KDF_TYPE`: the shared secret as is. */
export const CKD_NULL = 1;

/** Index of each function in `CK_FUNCTION_LIST` after the version (pkcs11f.h order). */
export const FUNCTION_INDEX = {
  C_Initialize: 0,
  C_Finalize: 1,
  C_GetInfo: 2,
  C_GetFunctionList: 3,
  C_GetSlotList: 4,
  C_GetSlotInfo: 5,
  C_GetTokenInfo: 6,
  C_GetMechanismList: 7,
  C_InitPIN: 10,
  C_SetPIN: 11,
  C_OpenSession: 12,
  C_CloseSession: 13,
  C_Login: 18,
  C_Logout: 19,
  C_DestroyObject: 22,
  C_GetAttributeValue: 24,
  C_FindObjectsInit: 26,
  C_FindObjects: 27,
  C_FindObjectsFinal: 28,
  C_DecryptInit: 33,
  C_Decrypt: 34,
  C_SignInit: 42,
  C_Sign: 43,
  C_GenerateKeyPair: 59,
  C_DeriveKey: 62,
} as const;

/** Byte offset of a function pointer in `CK_FUNCTION_LIST`. */
export function functionOffset(name: keyof typeof FUNCTION_INDEX): number {
  return 8 + 8 * FUNCTION_INDEX[name];
}

const CK_ATTRIBUTE_SIZE = 24;

/** `CK_C_INITIALIZE_ARGS` with only `flags` set (no mutex callbacks). */
export function encodeInitArgs(flags: number): Uint8Array {
  const buf = new Uint8Array(48);
  new DataView(buf.buffer).setBigUint64(32, BigInt(flags), true);
  return buf;
}

/** One `CK_ATTRIBUTE` to pass: `value` undefined asks for the length only. */
export interface AttributeInput {
  type: number;
  value?: Uint8Array | undefined;
}

/**
 * A `CK_ATTRIBUTE[]` array; `address` gives the pointer of each value buffer (the caller keeps
 * those buffers alive until the call returns: the array only holds their addresses).
 */
export function encodeTemplate(
  attrs: readonly AttributeInput[],
  address: (buf: Uint8Array) => bigint,
): Uint8Array {
  const buf = new Uint8Array(attrs.length * CK_ATTRIBUTE_SIZE);
  const view = new DataView(buf.buffer);
  attrs.forEach((a, i) => {
    const at = i * CK_ATTRIBUTE_SIZE;
    view.setBigUint64(at, BigInt(a.type), true);
    const has = a.value !== undefined && a.value.length > 0;
    view.setBigUint64(at + 8, has ? address(a.value!) : 0n, true);
    view.setBigUint64(at + 16, BigInt(a.value?.length ?? 0), true);
  });
  return buf;
}

/** The `ulValueLen` of each entry after a call; undefined for CK_UNAVAILABLE_INFORMATION. */
export function readTemplateLengths(template: Uint8Array): (number | undefined)[] {
  const view = new DataView(template.buffer, template.byteOffset, template.byteLength);
  const out: (number | undefined)[] = [];
  for (let at = 0; at + CK_ATTRIBUTE_SIZE <= template.length; at += CK_ATTRIBUTE_SIZE) {
    const len = view.getBigUint64(at + 16, true);
    out.push(len === CK_UNAVAILABLE_INFORMATION ? undefined : Number(len));
  }
  return out;
}

/** A `CK_MECHANISM`; `parameter` is the address and length of its parameter struct. */
export function encodeMechanism(
  mechanism: number,
  parameter?: { address: bigint; length: number },
): Uint8Array {
  const buf = new Uint8Array(24);
  const view = new DataView(buf.buffer);
  view.setBigUint64(0, BigInt(mechanism), true);
  view.setBigUint64(8, parameter?.address ?? 0n, true);
  view.setBigUint64(16, BigInt(parameter?.length ?? 0), true);
  return buf;
}

/**
 * `CK_ECDH1_DERIVE_PARAMS` (40 bytes: kdf, ulSharedDataLen, pSharedData, ulPublicDataLen,
 * pPublicData) with CKD_NULL and no shared data; `point` is the other side's public point.
 */
export function encodeEcdhParams(pointAddress: bigint, pointLength: number): Uint8Array {
  const buf = new Uint8Array(40);
  const view = new DataView(buf.buffer);
  view.setBigUint64(0, BigInt(CKD_NULL), true);
  view.setBigUint64(24, BigInt(pointLength), true);
  view.setBigUint64(32, pointAddress, true);
  return buf;
}

/** What scd-ts reads from `CK_TOKEN_INFO`: blank-padded texts trimmed. */
export interface TokenInfo {
  label: string;
  manufacturer: string;
  model: string;
  serialNumber: string;
  flags: number;
  minPinLen: number;
  maxPinLen: number;
}

/** Size of `CK_TOKEN_INFO` on LP64 (204 bytes of fields, padded to 8). */
export const CK_TOKEN_INFO_SIZE = 208;

function blankPadded(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).replace(/[ \0]+$/, "");
}

/** Decode a `CK_TOKEN_INFO`. */
export function decodeTokenInfo(buf: Uint8Array): TokenInfo {
  if (buf.length < CK_TOKEN_INFO_SIZE) {
    throw new RangeError(`Cannot decode CK_TOKEN_INFO: ${buf.length} bytes`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const ulong = (at: number) => Number(view.getBigUint64(at, true));
  return {
    label: blankPadded(buf.subarray(0, 32)),
    manufacturer: blankPadded(buf.subarray(32, 64)),
    model: blankPadded(buf.subarray(64, 80)),
    serialNumber: blankPadded(buf.subarray(80, 96)),
    flags: ulong(96),
    maxPinLen: ulong(136),
    minPinLen: ulong(144),
  };
}

/** Read `count` CK_ULONGs (slot ids, object handles). */
export function readUlongs(buf: Uint8Array, count: number): number[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return Array.from({ length: count }, (_, i) => Number(view.getBigUint64(i * 8, true)));
}

/** A CK_ULONG attribute value (CKA_CLASS, CKA_KEY_TYPE) as a number. */
export function decodeUlong(value: Uint8Array): number {
  if (value.length !== CK_ULONG_SIZE) throw new RangeError(`CK_ULONG of ${value.length} bytes`);
  return Number(new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true));
}

/** A CK_ULONG attribute value to pass in a template. */
export function encodeUlong(value: number): Uint8Array {
  const buf = new Uint8Array(CK_ULONG_SIZE);
  new DataView(buf.buffer).setBigUint64(0, BigInt(value), true);
  return buf;
}

/**
 * The template of an ECDH result: a session secret-key object of `length` bytes that may be
 * read (not sensitive, extractable), so its value can go to gpg-agent as a card's would.
 */
export function derivedSecretTemplate(length: number): AttributeInput[] {
  const no = Uint8Array.of(0);
  return [
    { type: CKA.CKA_CLASS, value: encodeUlong(CKO_SECRET_KEY) },
    { type: CKA.CKA_KEY_TYPE, value: encodeUlong(CKK_GENERIC_SECRET) },
    { type: CKA.CKA_TOKEN, value: no },
    { type: CKA.CKA_SENSITIVE, value: no },
    { type: CKA.CKA_EXTRACTABLE, value: Uint8Array.of(1) },
    { type: CKA.CKA_VALUE_LEN, value: encodeUlong(length) },
  ];
}
