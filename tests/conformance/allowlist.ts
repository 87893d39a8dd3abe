/**
 * The checked-in allowlist of advisory and intentional deltas between stock scdaemon and
 * scd-ts (docs/conformance.md). Each entry has a one-line reason; a delta no entry matches is
 * load-bearing and fails `deno task conformance`. Patterns match whole normalized lines
 * (tests/conformance/normalize.ts); `workflows`/`gnupg` narrow an entry.
 *
 * Adding an entry is a claim that gpg-agent and gpg do not depend on the difference: say why
 * in the reason, and prefer fixing scd-ts (src/scd/, src/openpgp/) when stock's form is what
 * the clients read.
 *
 * @module
 */
import type { AllowEntry } from "./classify.ts";

/** Workflows that generate keys on the card (GENKEY then the self-signatures). */
const GENERATE = ["generate", "generate-ed25519"];

/** Assuan deltas. */
const TRACE: AllowEntry[] = [
  {
    kind: "extra",
    pattern: /-> S (APPVERSION \d+|UIF-[123] .*|CARDTYPE .*)/,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.4-flavour LEARN/GETATTR lines; 2.2's learn_status_cb ignores unknown keywords " +
      "(src/openpgp/application.ts, output flavour)",
  },
  {
    kind: "missing",
    pattern: /-> S KEYPAIRINFO <HEX> OPENPGP\.[123] [sace]+/,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.2's KEYPAIRINFO form; scd-ts sends 2.4's (see the extra line)",
  },
  {
    kind: "extra",
    pattern: /-> S KEYPAIRINFO <HEX> OPENPGP\.[123] [sace]+ <TIME> \S+/,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.4's KEYPAIRINFO with creation time and algorithm; 2.2's kpinfo_cb and " +
      "scd_keypairinfo_status_cb stop at the usage token",
  },
  {
    kind: "missing",
    pattern: /(->|<-) <confidential>/,
    workflows: GENERATE,
    class: "intentional",
    reason: "PIN cache (docs/pin-policy.md): the first self-signature after GENKEY takes the " +
      "user PIN gpg gave for CHECKPIN moments earlier; stock asks again",
  },
  {
    kind: "missing",
    pattern: /-> S PINCACHE_PUT \d+\/\/ ?/,
    gnupg: "2.4",
    class: "advisory",
    reason: "2.4.7 flushes gpg-agent's card-PIN cache for the slot when it opens a card; scd-ts " +
      "never puts a PIN there (no PINCACHE_PUT with a PIN), so there is nothing to flush",
  },
  {
    kind: "missing",
    pattern: /(->|<-) <confidential>/,
    workflows: ["keytocard-ed25519"],
    class: "advisory",
    reason: "stock asks for the Admin PIN again after WRITEKEY switched the slot from RSA to ECC " +
      "(change_keyattr clears did_chv3); scd-ts reuses the Admin PIN of this keytocard",
  },
];

/** Pinentry dialog deltas. */
const PROMPTS: AllowEntry[] = [
  {
    kind: "prompt-missing",
    pattern: /GETPIN prompt="PIN" desc="Please enter the Reset Code for the card" error=""/,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.2.40 asks for the Reset Code with `||` (entry label PIN); scd-ts sends 2.4.7's " +
      "`|R|` (see the extra dialog)",
  },
  {
    kind: "prompt-extra",
    pattern: /GETPIN prompt="Reset Code" desc="Please enter the Reset Code for the card" error=""/,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.4.7's `|R|` flag; 2.2's gpg-agent knows it and labels the entry Reset Code",
  },
  {
    kind: "prompt-missing",
    pattern: /GETPIN prompt="Admin PIN" desc="Please enter the Admin PIN\\n\\nNumber: .*/,
    workflows: ["keytocard-ed25519"],
    class: "advisory",
    reason: "the Admin PIN dialogs stock adds after its key-attribute change (see the trace delta)",
  },
  {
    kind: "prompt-missing",
    pattern: /GETPIN prompt="PIN" desc="Please unlock the card\\n\\nNumber: .*/,
    workflows: GENERATE,
    class: "intentional",
    reason: "PIN cache (docs/pin-policy.md): no second user-PIN dialog for the self-signature",
  },
];

/**
 * APDU count deltas by INS. scd-ts has its own APDU policy by design (docs/pin-policy.md,
 * design.md): what gpg sees on the Assuan side is compared above; these are the card side.
 */
const APDUS: AllowEntry[] = [
  {
    kind: "apdu",
    pattern: /INS A4: \d+ vs \d+/,
    class: "intentional",
    reason: "SELECT: scd-ts re-selects OpenPGP at the start of each operation (strict policy, " +
      "docs/pin-policy.md), stock only on connect",
  },
  {
    kind: "apdu",
    pattern: /INS 20: \d+ vs \d+/,
    class: "intentional",
    reason: "VERIFY: strict policy resets the verification after an operation (VERIFY FF) and " +
      "verifies per operation; stock keeps the card verified",
  },
  {
    kind: "apdu",
    pattern: /INS (CA|C0): \d+ vs \d+/,
    class: "intentional",
    reason: "GET DATA / GET RESPONSE: scd-ts reads DOs through its per-connection cache and " +
      "its own Le choices; stock re-reads DOs per command",
  },
  {
    kind: "apdu",
    pattern: /INS 47: \d+ vs \d+/,
    class: "intentional",
    reason:
      "GENERATE/read public key: scd-ts reads each slot's key once per connection (keygrips " +
      "for LEARN), stock per READKEY/LEARN",
  },
  {
    kind: "apdu",
    pattern: /INS DA: 1 vs 2/,
    workflows: ["kdf-setup"],
    gnupg: "2.4",
    class: "intentional",
    reason: "SETATTR KDF: scd-ts also clears the Reset Code (PUT DATA D3, src/openpgp/admin.ts " +
      "prepareKdfChange), whose unhashed form no longer matches; 2.4.7 leaves it",
  },
  {
    kind: "apdu",
    pattern: /INS (24|2C|DA): \d+ vs \d+/,
    workflows: ["kdf-setup"],
    gnupg: "2.2",
    class: "intentional",
    reason: "SETATTR KDF: scd-ts re-keys PW3/PW1 and clears the Reset Code as 2.4's do_setattr " +
      "does; 2.2.40 writes only the KDF-DO",
  },
];

/**
 * The direct check (tests/e2e/direct_commands_test.ts, workflow `direct-commands`): each reply
 * line is tagged with its command, `-> [COMMAND] reply`, so an entry names the command.
 */
const DIRECT_WORKFLOW = ["direct-commands"];
/** Commands, options and GETATTR names gnupg 2.4 added (scd-ts speaks 2.4 on every version). */
const ADDED_IN_24 = "GETINFO (active_apps|all_active_apps|manufacturer.*|cmd_has_option .*)|" +
  "KEYINFO .*|DEVINFO( --watch)?|GETATTR (UIF(-[123])?|CARDTYPE|KEY-STATUS|KEY-ATTR-INFO)|" +
  "READKEY \\{GRIP\\d\\}|PKDECRYPT <HEX>|READCERT OPENPGP\\.[12]";
const DIRECT: AllowEntry[] = [
  {
    kind: "missing",
    pattern: /-> \[GETINFO version\] D \d+\.\d+\.\d+/,
    workflows: DIRECT_WORKFLOW,
    class: "intentional",
    reason: "GETINFO version: scd-ts's compatibility version (see the extra line)",
  },
  {
    kind: "extra",
    pattern: /-> \[GETINFO version\] D \d+\.\d+\.\d+/,
    workflows: DIRECT_WORKFLOW,
    class: "intentional",
    reason: "GETINFO version: scd-ts answers its compatibility version; clients only compare " +
      "it to warn about a daemon older than themselves",
  },
  {
    kind: "missing",
    pattern: /-> \[GETINFO app_list\] D openpgp:%0A.+/,
    workflows: DIRECT_WORKFLOW,
    class: "intentional",
    reason: "GETINFO app_list: stock lists every application it was built with (piv, nks, " +
      "p15, …); scd-ts lists the ones it has (see the extra line)",
  },
  {
    kind: "extra",
    pattern: /-> \[GETINFO app_list\] D openpgp:%0A/,
    workflows: DIRECT_WORKFLOW,
    class: "intentional",
    reason: "GETINFO app_list: OpenPGP is scd-ts's only card application",
  },
  {
    kind: "missing",
    pattern: new RegExp(`-> \\[(${ADDED_IN_24})\\] ERR (100663571|100663576|100663384|100663414)`),
    workflows: DIRECT_WORKFLOW,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.2.40 does not know these commands, options and attributes (unknown command, " +
      "unknown WHAT, invalid name; READKEY and PKDECRYPT by keygrip and READCERT of " +
      "certificates 1 and 2 are INV_ID); scd-ts " +
      "answers them as 2.4.7 does, and 2.2's gpg-agent never sends them",
  },
  {
    kind: "extra",
    pattern: new RegExp(`-> \\[(${ADDED_IN_24})\\] .*`),
    workflows: DIRECT_WORKFLOW,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.4.7's answers to commands 2.2.40 does not know (see the missing lines)",
  },
  {
    kind: "missing",
    pattern: /-> \[PASSWD (OPENPGP\.[13]\] ERR 100663351|--reset OPENPGP\.2\] ERR 100663383)/,
    workflows: DIRECT_WORKFLOW,
    gnupg: "2.2",
    class: "intentional",
    reason: "a new PIN under the minimum length: 2.2.40 sends it and the card refuses (6A80, " +
      "INV_VALUE); scd-ts refuses it first with BAD_PIN, as 2.4.4+ do (T6843). A short Reset " +
      "Code: 2.2.40 says BAD_PIN, 2.4.4+ BAD_RESET_CODE (T6425)",
  },
  {
    kind: "extra",
    pattern: /-> \[PASSWD (OPENPGP\.[13]|--reset OPENPGP\.2)\] ERR (100663383|100663618)/,
    workflows: DIRECT_WORKFLOW,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.4.4's minimum-length check of a new PIN (see the missing 2.2 line)",
  },
  {
    kind: "missing",
    pattern: /-> \[GETINFO reader_list\] ERR 100663354/,
    workflows: DIRECT_WORKFLOW,
    gnupg: "2.4",
    class: "intentional",
    reason: "2.4.7 lists only the readers of its internal CCID driver (command.c cmd_getinfo); " +
      "with PC/SC it has none and says NO_DATA. scd-ts lists its PC/SC readers as 2.2.40 does",
  },
  {
    kind: "extra",
    pattern: /-> \[GETINFO reader_list\] (D .*|OK)/,
    workflows: DIRECT_WORKFLOW,
    gnupg: "2.4",
    class: "intentional",
    reason: "the reader list (see the missing NO_DATA)",
  },
  {
    kind: "missing",
    pattern: /-> \[[^\]]+\] S PINCACHE_PUT \d+\/\/ ?/,
    workflows: DIRECT_WORKFLOW,
    gnupg: "2.4",
    class: "advisory",
    reason: "2.4.7 flushes gpg-agent's card-PIN cache for the slot when it opens a card; scd-ts " +
      "never puts a PIN there, so there is nothing to flush",
  },
  {
    kind: "extra",
    pattern: /-> \[LEARN --force\] S (APPVERSION \d+|UIF-[123] .*)/,
    workflows: DIRECT_WORKFLOW,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.4-flavour LEARN lines; 2.2's learn_status_cb ignores unknown keywords",
  },
  {
    kind: "missing",
    pattern: /-> \[LEARN --force\] S KEYPAIRINFO <HEX> OPENPGP\.[123] [sace]+/,
    workflows: DIRECT_WORKFLOW,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.2's KEYPAIRINFO form; scd-ts sends 2.4's with creation time and algorithm, " +
      "whose extra fields 2.2's kpinfo_cb skips",
  },
  {
    kind: "extra",
    pattern: /-> \[LEARN --force\] S KEYPAIRINFO <HEX> OPENPGP\.[123] [sace]+ <TIME> \S+/,
    workflows: DIRECT_WORKFLOW,
    gnupg: "2.2",
    class: "intentional",
    reason: "2.4's KEYPAIRINFO (see the missing 2.2 form)",
  },
];

export const ALLOWLIST: AllowEntry[] = [...TRACE, ...PROMPTS, ...APDUS, ...DIRECT];
