/**
 * The fixed command sequence of the direct check (tests/e2e/direct_commands_test.ts): the
 * commands scripts send with `gpg-connect-agent 'SCD …'` that no gpg workflow sends, in an
 * order that also walks the PIN paths of issue 21 (a refused KEY-ATTR, bad PKDECRYPT input).
 * `{GRIPn}`, `{FPRn}` and `{SERIAL}` are filled from the card's own answers (LEARN --force).
 *
 * @module
 */

/** Every attribute GETATTR knows in 2.2 or 2.4 (app-openpgp.c `do_getattr` table), and two it does not. */
const ATTRIBUTES = [
  "SERIALNO",
  "AID",
  "DISP-NAME",
  "DISP-LANG",
  "DISP-SEX",
  "PUBKEY-URL",
  "LOGIN-DATA",
  "CHV-STATUS",
  "KEY-FPR",
  "CA-FPR",
  "KEY-TIME",
  "KEY-ATTR",
  "SIG-COUNTER",
  "EXTCAP",
  "UIF-1",
  "UIF-2",
  "UIF-3",
  "UIF",
  "MANUFACTURER",
  "APPVERSION",
  "APPTYPE",
  "KDF",
  "PRIVATE-DO-1",
  "PRIVATE-DO-2",
  "CARDTYPE",
  "KEY-STATUS",
  "KEY-ATTR-INFO",
  "$AUTHKEYID",
  "$SIGNKEYID",
  "$ENCRKEYID",
  "$DISPSERIALNO",
  "NO-SUCH-NAME",
  "",
];

/** The sequence, one command per entry (no PINs: the client answers NEEDPIN itself). */
export const SEQUENCE: readonly string[] = [
  // GETINFO variants, before any card is selected
  "GETINFO version",
  "GETINFO status",
  "GETINFO reader_list",
  "GETINFO deny_admin",
  "GETINFO app_list",
  "GETINFO card_list",
  "GETINFO active_apps",
  "GETINFO all_active_apps",
  "GETINFO manufacturer 6",
  "GETINFO manufacturer 0xF1D0",
  "GETINFO manufacturer 99999",
  "GETINFO manufacturer",
  "GETINFO cmd_has_option SERIALNO all",
  "GETINFO cmd_has_option SERIALNO demand",
  "GETINFO no_such_thing",
  // SERIALNO variants; an application the card does not have leaves the card current
  "SERIALNO",
  "SERIALNO openpgp",
  "SERIALNO --all",
  "GETINFO active_apps",
  "SERIALNO piv",
  "GETINFO active_apps",
  "LEARN --force",
  "SERIALNO",
  "SERIALNO nosuchapp",
  "SERIALNO",
  // every attribute on a factory-fresh card
  ...ATTRIBUTES.map((name) => `GETATTR ${name}`.trimEnd()),
  // certificates, keys, random numbers, key listings on the empty card
  "READCERT OPENPGP.3",
  "READCERT OPENPGP.1",
  "READCERT OPENPGP.2",
  "READCERT no-such-id",
  "READKEY OPENPGP.1",
  "RANDOM 16",
  "RANDOM 0",
  "RANDOM abc",
  "RANDOM -1",
  "RANDOM",
  "KEYINFO --list",
  "KEYINFO --list=sign",
  `KEYINFO ${"0".repeat(40)}`,
  "APDU --atr",
  "APDU 00CA006E00",
  "APDU",
  "DEVINFO",
  "CHECKPIN no-such-id",
  // Admin PIN once; a KEY-ATTR the card refuses must not forget it
  "SETATTR DISP-NAME Doe<<Jane",
  "SETATTR KEY-ATTR --force 1 1 1024",
  "SETATTR DISP-LANG en",
  "SETATTR KEY-ATTR --force 1 22 ed25519",
  "SETATTR DISP-SEX 2",
  "SETATTR KEY-ATTR --force 2 18 cv25519",
  "SETATTR KEY-ATTR --force 3 22 ed25519",
  "GENKEY --force --timestamp=20200101T000000 1",
  "GENKEY --force --timestamp=20200101T000000 2",
  "GENKEY --force --timestamp=20200101T000000 3",
  "LEARN --force",
  "KEYINFO --list",
  "KEYINFO --list=encr",
  "KEYINFO --data --list=auth",
  "KEYINFO {GRIP2}",
  "READKEY OPENPGP.3",
  "READKEY {GRIP1}",
  "GETATTR KEY-ATTR",
  "GETATTR KEY-FPR",
  "GETATTR KEY-STATUS",
  // PKDECRYPT input the daemon must reject before asking for the PIN
  "PKDECRYPT OPENPGP.2",
  `SETDATA 40${"AA".repeat(32)}`,
  "PKDECRYPT",
  "PKDECRYPT OPENPGP.1",
  "PKDECRYPT OPENPGP.3",
  "PKDECRYPT {GRIP1}",
  "PKDECRYPT {GRIP3}",
  `PKDECRYPT ${"0".repeat(40)}`,
  "PKDECRYPT {SERIAL}/{FPR1}",
  `PKDECRYPT D2760001240103040000000000000000`,
  "PKSIGN {GRIP2}",
  "PKAUTH {GRIP1}",
  // the user PIN once, then the operations it allows
  "CHECKPIN {SERIAL}",
  "PKDECRYPT {GRIP2}",
  "PKDECRYPT OPENPGP.2",
  `SETDATA ${"AB".repeat(32)}`,
  "PKSIGN --hash=sha256 OPENPGP.1",
  "PKAUTH OPENPGP.3",
  "RANDOM 300",
  "GETATTR SIG-COUNTER",
  // a new PIN shorter than the card's minimum (6, Admin PIN 8) is BAD_PIN before any change
  // (2.4.4, T6843: app-openpgp.c do_change_pin)
  "PASSWD OPENPGP.1",
  "PASSWD OPENPGP.3",
  "PASSWD --reset OPENPGP.2",
  "CHECKPIN {SERIAL}",
  // the watch is for socket connections only (2.4.6, T7151: command.c cmd_devinfo)
  "DEVINFO --watch",
  // a demand for another card forgets the current one; RESTART keeps the daemon's cards
  "SERIALNO --demand=D2760001240103040000000000000000",
  "GETINFO active_apps",
  "GETATTR SERIALNO",
  "SERIALNO",
  "RESTART",
  "GETINFO active_apps",
  "SERIALNO",
  "GETINFO card_list",
];

/** Values the sequence refers to, filled from the daemon's answers. */
export type SequenceVars = Record<string, string>;

/** Picks `{GRIPn}`, `{FPRn}` and `{SERIAL}` out of one reply line (LEARN, KEYINFO, SERIALNO). */
export function learnVars(line: string, vars: SequenceVars): void {
  const serial = /^S SERIALNO ([0-9A-F]{32})$/.exec(line);
  if (serial) vars.SERIAL = serial[1]!;
  const pair = /^S KEYPAIRINFO ([0-9A-F]{40}) OPENPGP\.([123])\b/.exec(line);
  if (pair) vars[`GRIP${pair[2]}`] = pair[1]!;
  const fpr = /^S KEY-FPR ([123]) ([0-9A-F]{40})$/.exec(line);
  if (fpr) vars[`FPR${fpr[1]}`] = fpr[2]!;
}

/** `command` with its `{NAME}` references replaced (`?` where the daemon never said). */
export function fillVars(command: string, vars: SequenceVars): string {
  return command.replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? "?");
}
