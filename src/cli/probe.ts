/**
 * `scd-ts probe readers | info | loop` (also `deno task probe`): what the reader layer and the
 * OpenPGP application see, for checking hardware. Every read is a shared connect and one
 * short transaction, so probe works while the daemon runs; it never writes to the card and
 * only `loop --sign` presents a PIN.
 * @module
 */

import { parseArgs } from "node:util";
import type { CardReaderBackend } from "../pcsc/mod.ts";
import { backendFor, pickReader } from "./backend.ts";
import { type CardInfo, readCardInfo } from "./card_info.ts";
import { runLoop } from "./loop.ts";
import { paint, printable, printJson, table, UsageError } from "./output.ts";

export const PROBE_HELP = `Usage: scd-ts probe COMMAND [--json]
  readers                              PC/SC readers and whether a card is in each
  info [--reader R | --serial S]       everything the OpenPGP application shows (no PIN)
  loop --count N [--sign [--pin-file F]] [--reader R | --serial S]
                                       repeat info (and a signature); latency p50/p95/max
  doctor [--homedir DIR]               why the card or gpg-agent may not work, with fixes
--reader virtual:STATEFILE uses the built-in virtual card in process.`;

/** One reader and its card, for `probe readers`. */
export interface ReaderEntry {
  reader: string;
  /** AID of the OpenPGP application, null when there is no card or no such application. */
  openpgp: string | null;
  error: string | null;
}

async function readerNames(backend: CardReaderBackend, reader: string | undefined) {
  const readers = await backend.listReaders();
  if (reader !== undefined && !reader.startsWith("virtual:")) return [pickReader(readers, reader)];
  return readers;
}

/** `probe readers`. */
export async function listReaders(backend: CardReaderBackend): Promise<ReaderEntry[]> {
  const out: ReaderEntry[] = [];
  for (const reader of await backend.listReaders()) {
    try {
      const info = await readCardInfo(backend, reader);
      out.push({ reader, openpgp: info.aid, error: null });
    } catch (e) {
      out.push({ reader, openpgp: null, error: (e as Error).message });
    }
  }
  return out;
}

/** The card `probe info` means: --serial (AID or display serial), --reader, or the first. */
export async function findCard(
  backend: CardReaderBackend,
  options: { reader?: string | undefined; serial?: string | undefined },
): Promise<CardInfo> {
  const readers = await readerNames(backend, options.reader);
  if (readers.length === 0) throw new UsageError("No reader found (is pcscd running? try doctor)");
  const errors: string[] = [];
  for (const reader of readers) {
    try {
      const info = await readCardInfo(backend, reader);
      const serial = options.serial?.replaceAll(" ", "").toUpperCase();
      if (serial === undefined || info.aid.includes(serial)) return info;
      if (info.serial.replaceAll(" ", "").endsWith(serial)) return info;
    } catch (e) {
      errors.push(`${reader}: ${(e as Error).message}`);
    }
  }
  const what = options.serial !== undefined ? `with serial ${options.serial}` : "";
  throw new UsageError(
    `No OpenPGP card ${what} found${errors.length ? `\n${errors.join("\n")}` : ""}`,
  );
}

/** `probe info`'s text: every cell through {@linkcode printable}, card strings above all. */
function infoText(info: CardInfo): string {
  const rows: string[][] = [
    ["Reader", info.reader],
    ["AID", info.aid],
    ["Manufacturer", info.manufacturer],
    ["Spec version", info.specVersion],
    ["Serial", info.serial],
    ["Cardholder", info.cardholder || "[not set]"],
    ["URL", info.url || "[not set]"],
    ["Login", info.login || "[not set]"],
    [
      "PIN retries",
      `user ${info.pinRetries.user}, reset code ${info.pinRetries.reset}, admin ${info.pinRetries.admin}`,
    ],
    [
      "PW1 mode",
      info.pw1ValidForSeveralSignatures
        ? "valid for several signatures"
        : "forced for each signature",
    ],
    ["Signatures", String(info.signatureCounter)],
    ["KDF", info.kdf ? "on" : "off"],
  ];
  for (const k of info.keys) {
    rows.push([
      `Key ${k.slot} (${k.usage})`,
      k.fingerprint === null
        ? `[none] ${k.algorithm ?? ""}`
        : `${k.algorithm ?? "?"} ${k.fingerprint}`,
    ]);
    if (k.fingerprint !== null) {
      rows.push(["  keygrip", k.keygrip ?? "?"], ["  created", k.created ?? "?"]);
    }
    rows.push(["  touch (UIF)", k.uif ?? "not supported"]);
  }
  return table(rows.map((row) => row.map(printable)));
}

/** Runs `probe ARGS`; returns the exit code. */
export async function runProbe(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      reader: { type: "string" },
      serial: { type: "string" },
      count: { type: "string", default: "10" },
      sign: { type: "boolean", default: false },
      "pin-file": { type: "string" },
      homedir: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [command = "help"] = positionals;
  if (values.help || command === "help") {
    console.log(PROBE_HELP);
    return 0;
  }
  if (command === "doctor") {
    const { runDoctor } = await import("./doctor.ts");
    return await runDoctor({ json: values.json, homedir: values.homedir, reader: values.reader });
  }
  const backend = await backendFor(values.reader);
  if (command === "readers") {
    const list = await listReaders(backend);
    if (values.json) printJson(list);
    else if (list.length === 0) {
      console.log("No reader found (is pcscd running? try: scd-ts probe doctor)");
    } else {
      console.log(
        table([
          ["READER", "OPENPGP CARD"],
          ...list.map((r) => [
            printable(r.reader),
            r.openpgp ?? paint("dim", printable(r.error ?? "-")),
          ]),
        ]),
      );
    }
    return 0;
  }
  const target = { reader: values.reader, serial: values.serial };
  if (command === "info") {
    const info = await findCard(backend, target);
    if (values.json) printJson(info);
    else console.log(infoText(info));
    return 0;
  }
  if (command === "loop") {
    const count = Number(values.count);
    if (!Number.isInteger(count) || count < 1) {
      throw new UsageError(`--count wants a positive integer, not "${values.count}"`);
    }
    const info = await findCard(backend, target);
    return await runLoop(backend, info, {
      count,
      sign: values.sign,
      pinFile: values["pin-file"],
      json: values.json,
    });
  }
  throw new UsageError(`Unknown probe command "${command}"\n${PROBE_HELP}`);
}
