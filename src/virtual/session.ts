/**
 * Volatile card state: application selection, security status of the three PIN references,
 * the current cardholder-certificate occurrence. Lost on reset, power cycle and SELECT.
 * @module
 */

/** What the card forgets on reset (spec 3.4 §4.3 user verification; ISO 7816-4 security status). */
export class Session {
  /** The OpenPGP application is selected. */
  selected = false;
  /** PW1 verified with reference 81 (PSO:CDS). */
  pw1Sign = false;
  /** PW1 verified with reference 82 (decipher, authenticate, private DOs 1/3). */
  pw1Other = false;
  /** PW3 (admin) verified. */
  pw3 = false;
  /** 7F21 occurrence chosen by SELECT DATA: 0 AUT, 1 DEC, 2 SIG. */
  certOccurrence = 0;
  /** Key slot PSO:DECIPHER uses (MSE SET B8 can move it to the authentication key, 2). */
  decipherSlot = 1;
  /** Key slot INTERNAL AUTHENTICATE uses (MSE SET A4 can move it to the decryption key, 1). */
  authSlot = 2;

  /** Forget every verified PIN. */
  clearSecurity(): void {
    this.pw1Sign = false;
    this.pw1Other = false;
    this.pw3 = false;
  }

  /** Forget everything (reset, power off, SELECT). */
  clear(): void {
    this.selected = false;
    this.certOccurrence = 0;
    this.decipherSlot = 1;
    this.authSlot = 2;
    this.clearSecurity();
  }
}
