/**
 * ISO 7816-4 / OpenPGP card status words (OpenPGP card spec 3.4 §7.1 "Status bytes"),
 * with their names for logs and messages.
 * @module
 */

export const SW_OK = 0x9000;
export const SW_TERMINATED = 0x6285;
export const SW_EEPROM_FAILURE = 0x6581;
export const SW_ACK_TIMEOUT = 0x6600;
export const SW_WRONG_LENGTH = 0x6700;
export const SW_SM_NOT_SUPPORTED = 0x6882;
export const SW_LAST_CMD_EXPECTED = 0x6883;
export const SW_CHAINING_NOT_SUPPORTED = 0x6884;
export const SW_SECURITY_STATUS = 0x6982;
export const SW_AUTH_BLOCKED = 0x6983;
export const SW_CONDITIONS_OF_USE = 0x6985;
export const SW_BAD_DATA = 0x6a80;
export const SW_FUNC_NOT_SUPPORTED = 0x6a81;
export const SW_FILE_NOT_FOUND = 0x6a82;
export const SW_WRONG_P1P2 = 0x6b00;
export const SW_INCORRECT_P1P2 = 0x6a86;
export const SW_REF_NOT_FOUND = 0x6a88;
export const SW_INS_NOT_SUPPORTED = 0x6d00;
export const SW_CLA_NOT_SUPPORTED = 0x6e00;
export const SW_UNKNOWN = 0x6f00;

const NAMES: Record<number, string> = {
  [SW_OK]: "success",
  [SW_TERMINATED]: "selected file in termination state",
  [SW_EEPROM_FAILURE]: "memory failure",
  [SW_ACK_TIMEOUT]: "security-related issue (touch timeout)",
  [SW_WRONG_LENGTH]: "wrong length",
  [SW_SM_NOT_SUPPORTED]: "secure messaging not supported",
  [SW_LAST_CMD_EXPECTED]: "last command of the chain expected",
  [SW_CHAINING_NOT_SUPPORTED]: "command chaining not supported",
  [SW_SECURITY_STATUS]: "security status not satisfied",
  [SW_AUTH_BLOCKED]: "authentication method blocked",
  [SW_CONDITIONS_OF_USE]: "conditions of use not satisfied",
  [SW_BAD_DATA]: "incorrect parameters in the data field",
  [SW_FUNC_NOT_SUPPORTED]: "function not supported",
  [SW_FILE_NOT_FOUND]: "file or application not found",
  [SW_WRONG_P1P2]: "wrong parameters P1-P2",
  [SW_INCORRECT_P1P2]: "incorrect parameters P1-P2",
  [SW_REF_NOT_FOUND]: "referenced data not found",
  [SW_INS_NOT_SUPPORTED]: "instruction not supported",
  [SW_CLA_NOT_SUPPORTED]: "class not supported",
  [SW_UNKNOWN]: "no precise diagnosis",
};

/** "6982 security status not satisfied", "63C2 wrong PIN, 2 tries left", … */
export function swName(sw: number): string {
  const hex = sw.toString(16).toUpperCase().padStart(4, "0");
  if ((sw & 0xfff0) === 0x63c0) return `${hex} verification failed, ${sw & 0xf} tries left`;
  if ((sw & 0xff00) === 0x6100) return `${hex} ${sw & 0xff} more bytes available`;
  if ((sw & 0xff00) === 0x6c00) return `${hex} wrong Le, exact length ${sw & 0xff}`;
  return `${hex} ${NAMES[sw] ?? "unknown status"}`;
}
