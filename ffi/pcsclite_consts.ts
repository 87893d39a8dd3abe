/**
 * PC/SC constants and return codes as pcsc-lite defines them (LudovicRousseau/PCSC:
 * `PCSC/pcsclite.h.in`, `PCSC/reader.h`). Return codes are kept as unsigned 32-bit numbers
 * (see {@linkcode toReturnCode}): on Linux `LONG` is 64-bit and `(LONG)0x80100017` is positive,
 * on macOS it is a negative 32-bit value; both map to the same u32 here.
 *
 * @module
 */

/** Success. */
export const SCARD_S_SUCCESS = 0x00000000;

/** Every PC/SC return code pcsc-lite defines, by name (u32 values). */
export const SCARD_RETURN_CODES = {
  SCARD_S_SUCCESS: 0x00000000,
  SCARD_F_INTERNAL_ERROR: 0x80100001,
  SCARD_E_CANCELLED: 0x80100002,
  SCARD_E_INVALID_HANDLE: 0x80100003,
  SCARD_E_INVALID_PARAMETER: 0x80100004,
  SCARD_E_INVALID_TARGET: 0x80100005,
  SCARD_E_NO_MEMORY: 0x80100006,
  SCARD_F_WAITED_TOO_LONG: 0x80100007,
  SCARD_E_INSUFFICIENT_BUFFER: 0x80100008,
  SCARD_E_UNKNOWN_READER: 0x80100009,
  SCARD_E_TIMEOUT: 0x8010000a,
  SCARD_E_SHARING_VIOLATION: 0x8010000b,
  SCARD_E_NO_SMARTCARD: 0x8010000c,
  SCARD_E_UNKNOWN_CARD: 0x8010000d,
  SCARD_E_CANT_DISPOSE: 0x8010000e,
  SCARD_E_PROTO_MISMATCH: 0x8010000f,
  SCARD_E_NOT_READY: 0x80100010,
  SCARD_E_INVALID_VALUE: 0x80100011,
  SCARD_E_SYSTEM_CANCELLED: 0x80100012,
  SCARD_F_COMM_ERROR: 0x80100013,
  SCARD_F_UNKNOWN_ERROR: 0x80100014,
  SCARD_E_INVALID_ATR: 0x80100015,
  SCARD_E_NOT_TRANSACTED: 0x80100016,
  SCARD_E_READER_UNAVAILABLE: 0x80100017,
  SCARD_P_SHUTDOWN: 0x80100018,
  SCARD_E_PCI_TOO_SMALL: 0x80100019,
  SCARD_E_READER_UNSUPPORTED: 0x8010001a,
  SCARD_E_DUPLICATE_READER: 0x8010001b,
  SCARD_E_CARD_UNSUPPORTED: 0x8010001c,
  SCARD_E_NO_SERVICE: 0x8010001d,
  SCARD_E_SERVICE_STOPPED: 0x8010001e,
  // pcsc-lite gives SCARD_E_UNEXPECTED and SCARD_E_UNSUPPORTED_FEATURE the same value.
  SCARD_E_UNSUPPORTED_FEATURE: 0x8010001f,
  SCARD_E_ICC_INSTALLATION: 0x80100020,
  SCARD_E_ICC_CREATEORDER: 0x80100021,
  SCARD_E_DIR_NOT_FOUND: 0x80100023,
  SCARD_E_FILE_NOT_FOUND: 0x80100024,
  SCARD_E_NO_DIR: 0x80100025,
  SCARD_E_NO_FILE: 0x80100026,
  SCARD_E_NO_ACCESS: 0x80100027,
  SCARD_E_WRITE_TOO_MANY: 0x80100028,
  SCARD_E_BAD_SEEK: 0x80100029,
  SCARD_E_INVALID_CHV: 0x8010002a,
  SCARD_E_UNKNOWN_RES_MNG: 0x8010002b,
  SCARD_E_NO_SUCH_CERTIFICATE: 0x8010002c,
  SCARD_E_CERTIFICATE_UNAVAILABLE: 0x8010002d,
  SCARD_E_NO_READERS_AVAILABLE: 0x8010002e,
  SCARD_E_COMM_DATA_LOST: 0x8010002f,
  SCARD_E_NO_KEY_CONTAINER: 0x80100030,
  SCARD_E_SERVER_TOO_BUSY: 0x80100031,
  SCARD_W_UNSUPPORTED_CARD: 0x80100065,
  SCARD_W_UNRESPONSIVE_CARD: 0x80100066,
  SCARD_W_UNPOWERED_CARD: 0x80100067,
  SCARD_W_RESET_CARD: 0x80100068,
  SCARD_W_REMOVED_CARD: 0x80100069,
  SCARD_W_SECURITY_VIOLATION: 0x8010006a,
  SCARD_W_WRONG_CHV: 0x8010006b,
  SCARD_W_CHV_BLOCKED: 0x8010006c,
  SCARD_W_EOF: 0x8010006d,
  SCARD_W_CANCELLED_BY_USER: 0x8010006e,
  SCARD_W_CARD_NOT_AUTHENTICATED: 0x8010006f,
} as const;

/** A PC/SC return code name, e.g. `"SCARD_E_NO_SERVICE"`. */
export type ScardReturnCodeName = keyof typeof SCARD_RETURN_CODES;

/** Return code `SCARD_E_CANCELLED`. */
export const SCARD_E_CANCELLED = SCARD_RETURN_CODES.SCARD_E_CANCELLED;
/** Return code `SCARD_E_INVALID_HANDLE`. */
export const SCARD_E_INVALID_HANDLE = SCARD_RETURN_CODES.SCARD_E_INVALID_HANDLE;
/** Return code `SCARD_E_INSUFFICIENT_BUFFER`. */
export const SCARD_E_INSUFFICIENT_BUFFER = SCARD_RETURN_CODES.SCARD_E_INSUFFICIENT_BUFFER;
/** Return code `SCARD_E_UNKNOWN_READER`. */
export const SCARD_E_UNKNOWN_READER = SCARD_RETURN_CODES.SCARD_E_UNKNOWN_READER;
/** Return code `SCARD_E_TIMEOUT`. */
export const SCARD_E_TIMEOUT = SCARD_RETURN_CODES.SCARD_E_TIMEOUT;
/** Return code `SCARD_E_SHARING_VIOLATION`. */
export const SCARD_E_SHARING_VIOLATION = SCARD_RETURN_CODES.SCARD_E_SHARING_VIOLATION;
/** Return code `SCARD_E_NO_SMARTCARD`. */
export const SCARD_E_NO_SMARTCARD = SCARD_RETURN_CODES.SCARD_E_NO_SMARTCARD;
/** Return code `SCARD_E_PROTO_MISMATCH`. */
export const SCARD_E_PROTO_MISMATCH = SCARD_RETURN_CODES.SCARD_E_PROTO_MISMATCH;
/** Return code `SCARD_E_NOT_TRANSACTED`. */
export const SCARD_E_NOT_TRANSACTED = SCARD_RETURN_CODES.SCARD_E_NOT_TRANSACTED;
/** Return code `SCARD_E_READER_UNAVAILABLE`. */
export const SCARD_E_READER_UNAVAILABLE = SCARD_RETURN_CODES.SCARD_E_READER_UNAVAILABLE;
/** Return code `SCARD_E_NO_SERVICE`. */
export const SCARD_E_NO_SERVICE = SCARD_RETURN_CODES.SCARD_E_NO_SERVICE;
/** Return code `SCARD_E_SERVICE_STOPPED`. */
export const SCARD_E_SERVICE_STOPPED = SCARD_RETURN_CODES.SCARD_E_SERVICE_STOPPED;
/** Return code `SCARD_E_NO_READERS_AVAILABLE`. */
export const SCARD_E_NO_READERS_AVAILABLE = SCARD_RETURN_CODES.SCARD_E_NO_READERS_AVAILABLE;
/** Return code `SCARD_F_COMM_ERROR`. */
export const SCARD_F_COMM_ERROR = SCARD_RETURN_CODES.SCARD_F_COMM_ERROR;
/** Return code `SCARD_W_UNPOWERED_CARD`. */
export const SCARD_W_UNPOWERED_CARD = SCARD_RETURN_CODES.SCARD_W_UNPOWERED_CARD;
/** Return code `SCARD_W_RESET_CARD`. */
export const SCARD_W_RESET_CARD = SCARD_RETURN_CODES.SCARD_W_RESET_CARD;
/** Return code `SCARD_W_REMOVED_CARD`. */
export const SCARD_W_REMOVED_CARD = SCARD_RETURN_CODES.SCARD_W_REMOVED_CARD;
/** Return code `SCARD_W_SECURITY_VIOLATION`. */
export const SCARD_W_SECURITY_VIOLATION = SCARD_RETURN_CODES.SCARD_W_SECURITY_VIOLATION;

/** Short explanations for the codes users actually meet (own wording). */
const EXPLANATIONS: Partial<Record<ScardReturnCodeName, string>> = {
  SCARD_E_CANCELLED: "the wait was cancelled",
  SCARD_E_INVALID_HANDLE: "the card handle is no longer valid",
  SCARD_E_UNKNOWN_READER: "no reader by that name",
  SCARD_E_TIMEOUT: "timed out",
  SCARD_E_SHARING_VIOLATION: "another program holds the card exclusively",
  SCARD_E_NO_SMARTCARD: "no card in the reader",
  SCARD_E_NOT_TRANSACTED: "the transaction was lost",
  SCARD_E_READER_UNAVAILABLE: "the reader is gone",
  SCARD_E_NO_SERVICE: "pcscd is not running",
  SCARD_E_SERVICE_STOPPED: "pcscd has stopped",
  SCARD_E_NO_READERS_AVAILABLE: "no reader is connected",
  SCARD_F_COMM_ERROR: "lost contact with pcscd",
  SCARD_W_UNRESPONSIVE_CARD: "the card does not answer",
  SCARD_W_UNPOWERED_CARD: "the card is not powered",
  SCARD_W_RESET_CARD: "the card was reset",
  SCARD_W_REMOVED_CARD: "the card was removed",
  // libpcsclite maps ECONNRESET on its socket to this (winscard_msg.c): polkit or pcscd exit
  SCARD_W_SECURITY_VIOLATION: "pcscd dropped the connection (access denied or pcscd stopped)",
};

const NAMES = new Map<number, ScardReturnCodeName>(
  (Object.entries(SCARD_RETURN_CODES) as [ScardReturnCodeName, number][]).map(([n, v]) => [v, n]),
);

/**
 * Normalizes a raw `LONG` return value (a `number` or `bigint`, possibly sign-extended) to the
 * unsigned 32-bit code used throughout, e.g. `-2146435043` and `0x8010001Dn` → `0x8010001D`.
 */
export function toReturnCode(raw: number | bigint): number {
  return Number(BigInt.asUintN(32, BigInt(raw)));
}

/** The pcsc-lite constant name for a return code, or `"0x…"` for an unknown one. */
export function returnCodeName(rv: number): string {
  return NAMES.get(rv >>> 0) ?? `0x${(rv >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;
}

/** A short human explanation of a return code, or undefined when there is none. */
export function returnCodeExplanation(rv: number): string | undefined {
  const name = NAMES.get(rv >>> 0);
  return name === undefined ? undefined : EXPLANATIONS[name];
}

// Context scope (SCardEstablishContext dwScope).
/** Context scope: user (pcsc-lite treats all scopes alike). */
export const SCARD_SCOPE_USER = 0x0000;
/** Context scope: terminal. */
export const SCARD_SCOPE_TERMINAL = 0x0001;
/** Context scope: system (what scd-ts uses). */
export const SCARD_SCOPE_SYSTEM = 0x0002;

// Protocols (SCardConnect dwPreferredProtocols, pdwActiveProtocol, SCARD_IO_REQUEST.dwProtocol).
/** No protocol negotiated. */
export const SCARD_PROTOCOL_UNDEFINED = 0x0000;
/** T=0, character protocol. */
export const SCARD_PROTOCOL_T0 = 0x0001;
/** T=1, block protocol. */
export const SCARD_PROTOCOL_T1 = 0x0002;
/** Raw protocol. */
export const SCARD_PROTOCOL_RAW = 0x0004;
/** T=15. */
export const SCARD_PROTOCOL_T15 = 0x0008;
/** T=0 or T=1, the reader chooses. */
export const SCARD_PROTOCOL_ANY = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;

// Share modes. scd-ts itself only ever uses SCARD_SHARE_SHARED (design decision 4).
/** Exclusive access: never used by scd-ts (tests use it as "another program"). */
export const SCARD_SHARE_EXCLUSIVE = 0x0001;
/** Shared access: the only mode scd-ts connects with. */
export const SCARD_SHARE_SHARED = 0x0002;
/** Direct access to the reader, no card needed. */
export const SCARD_SHARE_DIRECT = 0x0003;

// Dispositions (SCardDisconnect, SCardEndTransaction, SCardReconnect dwInitialization).
/** Disposition: leave the card as it is. */
export const SCARD_LEAVE_CARD = 0x0000;
/** Disposition: warm reset. */
export const SCARD_RESET_CARD = 0x0001;
/** Disposition: power the card down. */
export const SCARD_UNPOWER_CARD = 0x0002;
/** Disposition: eject (few readers can). */
export const SCARD_EJECT_CARD = 0x0003;

// Card states reported by SCardStatus (pdwState).
/** SCardStatus state: unknown. */
export const SCARD_UNKNOWN = 0x0001;
/** SCardStatus state: no card. */
export const SCARD_ABSENT = 0x0002;
/** SCardStatus state: card present. */
export const SCARD_PRESENT = 0x0004;
/** SCardStatus state: card in place but not powered. */
export const SCARD_SWALLOWED = 0x0008;
/** SCardStatus state: card powered. */
export const SCARD_POWERED = 0x0010;
/** SCardStatus state: ready for PTS. */
export const SCARD_NEGOTIABLE = 0x0020;
/** SCardStatus state: protocol set. */
export const SCARD_SPECIFIC = 0x0040;

// Reader states (SCARD_READERSTATE dwCurrentState / dwEventState, low 16 bits).
/** Reader state: caller knows nothing (get the current state at once). */
export const SCARD_STATE_UNAWARE = 0x0000;
/** Reader state: ignore this entry. */
export const SCARD_STATE_IGNORE = 0x0001;
/** Reader state: differs from dwCurrentState. */
export const SCARD_STATE_CHANGED = 0x0002;
/** Reader state: no such reader. */
export const SCARD_STATE_UNKNOWN = 0x0004;
/** Reader state: status unavailable. */
export const SCARD_STATE_UNAVAILABLE = 0x0008;
/** Reader state: no card. */
export const SCARD_STATE_EMPTY = 0x0010;
/** Reader state: card present. */
export const SCARD_STATE_PRESENT = 0x0020;
/** Reader state: ATR matches a requested card. */
export const SCARD_STATE_ATRMATCH = 0x0040;
/** Reader state: someone holds the card exclusively. */
export const SCARD_STATE_EXCLUSIVE = 0x0080;
/** Reader state: the card is in use (shared). */
export const SCARD_STATE_INUSE = 0x0100;
/** Reader state: the card does not answer. */
export const SCARD_STATE_MUTE = 0x0200;
/** Reader state: the card is not powered. */
export const SCARD_STATE_UNPOWERED = 0x0400;

/** pcsc-lite keeps an event counter in the high 16 bits of `dwEventState`. */
export function eventCounter(eventState: number): number {
  return (eventState >>> 16) & 0xffff;
}

/** The pseudo reader whose state changes when readers are added or removed (pcsc-lite ≥ 1.6). */
export const PNP_NOTIFICATION_READER = "\\\\?PnP?\\Notification";

/** `dwTimeout` for "wait forever" in SCardGetStatusChange. */
export const INFINITE = 0xffffffff;

/** pcsc-lite `MAX_ATR_SIZE` (Windows uses 36; pcsc-lite uses 33). */
export const MAX_ATR_SIZE = 33;
/** pcsc-lite `MAX_READERNAME`. */
export const MAX_READERNAME = 128;
/** pcsc-lite `MAX_BUFFER_SIZE` (short APDUs). */
export const MAX_BUFFER_SIZE = 264;
/** pcsc-lite `MAX_BUFFER_SIZE_EXTENDED`: 64 KiB data + header, Lc, Le and SW. */
export const MAX_BUFFER_SIZE_EXTENDED = 4 + 3 + (1 << 16) + 3 + 2;

/** `SCARD_ATTR_VALUE(class, tag)` from pcsc-lite `reader.h`. */
export function scardAttrValue(cls: number, tag: number): number {
  return ((cls << 16) | tag) >>> 0;
}

/** Attribute class: vendor information. */
export const SCARD_CLASS_VENDOR_INFO = 1;
/** Attribute class: communications. */
export const SCARD_CLASS_COMMUNICATIONS = 2;
/** Attribute class: vendor defined. */
export const SCARD_CLASS_VENDOR_DEFINED = 7;
/** Attribute class: card state. */
export const SCARD_CLASS_ICC_STATE = 9;
/** Attribute class: system. */
export const SCARD_CLASS_SYSTEM = 0x7fff;

/** Reader vendor name. */
export const SCARD_ATTR_VENDOR_NAME = scardAttrValue(SCARD_CLASS_VENDOR_INFO, 0x0100);
/** Reader model. */
export const SCARD_ATTR_VENDOR_IFD_TYPE = scardAttrValue(SCARD_CLASS_VENDOR_INFO, 0x0101);
/** Reader version (0xMMmmbbbb). */
export const SCARD_ATTR_VENDOR_IFD_VERSION = scardAttrValue(SCARD_CLASS_VENDOR_INFO, 0x0102);
/** Reader serial number. */
export const SCARD_ATTR_VENDOR_IFD_SERIAL_NO = scardAttrValue(SCARD_CLASS_VENDOR_INFO, 0x0103);
/** Channel id (0xDDDDCCCC: type, number). */
export const SCARD_ATTR_CHANNEL_ID = scardAttrValue(SCARD_CLASS_COMMUNICATIONS, 0x0110);
/** The card's ATR. */
export const SCARD_ATTR_ATR_STRING = scardAttrValue(SCARD_CLASS_ICC_STATE, 0x0303);
/** Largest command the reader accepts (pcsc-lite extension). */
export const SCARD_ATTR_MAXINPUT = scardAttrValue(SCARD_CLASS_VENDOR_DEFINED, 0xa007);
/** Reader display name (ASCII). */
export const SCARD_ATTR_DEVICE_FRIENDLY_NAME = scardAttrValue(SCARD_CLASS_SYSTEM, 0x0003);

/** `SCARD_CTL_CODE(code)` from pcsc-lite `reader.h`. */
export function scardCtlCode(code: number): number {
  return (0x42000000 + code) >>> 0;
}

/** PC/SC part 10 feature query (`CM_IOCTL_GET_FEATURE_REQUEST`). */
export const CM_IOCTL_GET_FEATURE_REQUEST = scardCtlCode(3400);
/** PC/SC part 10 feature tags (pinpad support). */
export const FEATURE_VERIFY_PIN_DIRECT = 0x06;
/** PC/SC part 10 feature: pinpad MODIFY. */
export const FEATURE_MODIFY_PIN_DIRECT = 0x07;
/** PC/SC part 10 feature: pinpad properties. */
export const FEATURE_IFD_PIN_PROPERTIES = 0x0a;
