/**
 * The rank table of style.md §2 and its reviewed exceptions, as data for
 * tests/lint_layers.ts (which explains the rules).
 * @module
 */

/** One row of the rank table. */
export interface Layer {
  /** A folder (ends in `/`) or a single file. */
  path: string;
  rank: number;
  /** Folders (`…/`) or named files this layer may import; `"anything"` for rank 7. */
  mayImport: readonly string[] | "anything";
  /** Files this layer may import only with `import type`. */
  typeOnly?: readonly string[];
  /** False when the folder has no `mod.ts` facade and its files are imported one by one. */
  facade?: boolean;
}

const RANK0 = ["src/util/", "src/gpg_error/"] as const;

/** style.md §2, row by row. */
export const LAYERS: readonly Layer[] = [
  // 0: leaf helpers and the gpg-error vocabulary; src/util is a bag of files with no mod.ts
  { path: "src/util/", rank: 0, mayImport: [], facade: false },
  { path: "src/gpg_error/", rank: 0, mayImport: [] },
  // 1: raw libpcsclite binding; only src/pcsc (and later src/pkcs11) use it
  { path: "ffi/", rank: 1, mayImport: ["src/util/"] },
  // 1: generic Assuan server library that knows no cards (like scd-rs-assuan)
  { path: "src/assuan/", rank: 1, mayImport: [...RANK0] },
  // 2: reader/transport with the PC/SC handle discipline
  { path: "src/pcsc/", rank: 2, mayImport: ["ffi/", ...RANK0] },
  // 3: generic ISO 7816-4; sees a card only as the CardChannel interface
  {
    path: "src/iso7816/",
    rank: 3,
    mayImport: [...RANK0],
    typeOnly: ["src/pcsc/channel.ts"],
  },
  // 3: crypto formats gpg speaks (sexp, keygrip, DigestInfo); no I/O
  { path: "src/formats/", rank: 3, mayImport: [...RANK0] },
  // 4: the contract between commands and card applications (gnupg app-common.h analogue)
  { path: "src/app/", rank: 4, mayImport: [...RANK0, "src/formats/"] },
  // 5: host-side card applications; src/openpgp never sees ffi/ (yubikit's rule)
  {
    path: "src/openpgp/",
    rank: 5,
    mayImport: ["src/app/", "src/iso7816/", "src/formats/", ...RANK0],
  },
  {
    path: "src/pkcs11/",
    rank: 5,
    mayImport: ["src/app/", "src/iso7816/", "src/formats/", ...RANK0, "ffi/"],
  },
  // 5: the virtual card, an independent implementation: only sw/tlv and the channel type
  {
    path: "src/virtual/",
    rank: 5,
    mayImport: ["src/iso7816/sw.ts", "src/iso7816/tlv.ts", ...RANK0],
    typeOnly: ["src/pcsc/channel.ts"],
  },
  // 6: scdaemon semantics (Assuan command table) and later ssh-agent mode
  ...["src/scd/", "src/ssh/"].map((path) => ({
    path,
    rank: 6,
    mayImport: [
      "src/assuan/",
      "src/app/",
      "src/openpgp/",
      "src/pkcs11/",
      "src/pcsc/",
      "src/formats/",
      ...RANK0,
    ],
  })),
  // 6: hardware probe: like src/scd but speaks no Assuan
  {
    path: "src/probe/",
    rank: 6,
    mayImport: ["src/app/", "src/openpgp/", "src/pkcs11/", "src/pcsc/", "src/formats/", ...RANK0],
  },
  // 7: the user commands (probe, doctor, install, demo), process entries like main.ts: the
  // card layers as src/probe would use them, the scd config (homedir, scd-ts.conf) and the
  // virtual card for `--reader virtual:…`
  {
    path: "src/cli/",
    rank: 7,
    mayImport: [
      "src/app/",
      "src/openpgp/",
      "src/pcsc/",
      "src/scd/",
      "src/virtual/",
      "src/formats/",
      ...RANK0,
    ],
  },
  // 7: process entry and logging setup
  { path: "main.ts", rank: 7, mayImport: "anything" },
  { path: "src/log.ts", rank: 7, mayImport: "anything" },
];

/** A reviewed import the rank table (rule 1 only) does not allow. */
export interface LayerException {
  /** Importing folder (`…/`) or file. */
  from: string;
  /** Imported file. */
  to: string;
  why: string;
}

/** Narrow exceptions to rule 1, each with its reason. */
export const EXCEPTIONS: readonly LayerException[] = [
  {
    // log.ts's own header names getLog("pcsc") as every layer's logger factory; it imports
    // only src/util and LogTape, so the upward edge cannot close a cycle
    from: "src/scd/",
    to: "src/log.ts",
    why: "getLog() is the per-layer logger factory",
  },
  {
    // the same logger factory for the ssh-agent mode (issue 22), on the same grounds
    from: "src/ssh/",
    to: "src/log.ts",
    why: "getLog() is the per-layer logger factory",
  },
  {
    // the one file that maps every domain error to a gpg-error code (style.md §3.8) must
    // recognise ApduError, which reaches scd unwrapped from the card application
    from: "src/scd/errors.ts",
    to: "src/iso7816/mod.ts",
    why: "errors.ts maps ApduError to gpg-error codes",
  },
  {
    // `reader virtual:STATEFILE` makes the built-in card a reader backend like pcscd; the one
    // assembly of the daemon (style.md §3.20) chooses between them, loading the card lazily.
    // Rule 4 is about imports out of src/virtual and stays whole
    from: "src/scd/assemble.ts",
    to: "src/virtual/mod.ts",
    why: "the daemon's assembly opens the in-process virtual card for virtual:STATEFILE",
  },
];
