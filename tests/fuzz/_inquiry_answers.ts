/**
 * Answers to an INQUIRE, mostly wrong: CAN (with and without trailing text), more data than
 * the inquiry allows, a D line over the line limit, garbage and bad escapes, a command where
 * data belongs, END without data, a PIN without its NUL, EOF before or in the middle of the
 * answer — and sometimes the right PIN, so valid paths stay covered.
 * @module
 */

import { escapeData } from "../../src/assuan/mod.ts";
import { USER_PIN } from "../support/fixtures.ts";
import { bytesOf, commandLine, longLine } from "./_assuan_input.ts";
import type { InquiryAction, InquiryResponder } from "./_client.ts";
import { pinAnswer } from "./_setup.ts";
import type { Prng } from "./prng.ts";

/** The user PIN of the prepared card. */
export { USER_PIN };

type Maker = (prng: Prng) => InquiryAction;

function dLines(data: Uint8Array, perLine: number): Uint8Array {
  const parts: (string | Uint8Array)[] = [];
  for (let i = 0; i < data.length; i += perLine) {
    parts.push("D ", escapeData(data.subarray(i, i + perLine)), "\n");
  }
  return bytesOf(...parts);
}

/** Named answer makers; the names appear in failure reports. */
const ANSWERS: Record<string, Maker> = {
  "can": () => ({ bytes: bytesOf("CAN\n") }),
  "can-text": (p) => ({
    bytes: bytesOf(p.pick(["CAN ", "can", "CANCEL ", "Can\t"]), p.text(5), "\n"),
  }),
  "can-after-data": (p) => ({ bytes: bytesOf(dLines(p.bytes(p.range(1, 50)), 30), "CAN\n") }),
  "too-much": (p) => ({ bytes: bytesOf(dLines(p.bytes(p.range(101, 5000)), 400), "END\n") }),
  "too-much-then-can": (p) => ({
    bytes: bytesOf(dLines(p.bytes(p.range(101, 800)), 300), "CAN\n"),
  }),
  "d-over-limit": (p) => ({ bytes: bytesOf("D ", longLine(p).subarray(2), "\nEND\n") }),
  "garbage-d": (p) => ({
    bytes: bytesOf("D ", p.bytes(p.range(0, 40)).filter((b) => b !== 10), "\nEND\n"),
  }),
  "bad-escape": (p) => ({
    bytes: bytesOf("D ", p.pick(["%", "%G1", "%0", "%%", "12%3"]), "\nEND\n"),
  }),
  "command": (p) => ({ bytes: bytesOf(commandLine(p), "\n") }),
  "end-only": () => ({ bytes: bytesOf("END\n") }),
  "end-text": (p) => ({
    bytes: bytesOf(p.pick(["END ", "end ", "ENDX", "END\t"]), p.text(3), "\n"),
  }),
  "no-nul": () => ({ bytes: bytesOf("D ", USER_PIN, "\nEND\n") }),
  "right-pin": () => ({ bytes: pinAnswer(USER_PIN) }),
  "wrong-pin": (p) => ({ bytes: pinAnswer(p.text(p.range(0, 12))) }),
  "lowercase": () => ({ bytes: bytesOf("d ", USER_PIN, "%00\nend\n") }),
  "comment-empty": () => ({ bytes: bytesOf("\n# comment\n\r\nD ", USER_PIN, "%00\nEND\n") }),
  "d-no-space": () => ({ bytes: bytesOf("D\nEND\n") }),
  "crlf": () => ({ bytes: bytesOf("D ", USER_PIN, "%00\r\nEND\r\n") }),
  "nul-raw": (p) => ({ bytes: bytesOf("D \x00\x00", p.text(3), "\x00\nEND\n") }),
  "eof": () => ({ eof: true }),
  "eof-after-d": () => ({ bytes: bytesOf("D ", USER_PIN, "%00\n"), eof: true }),
  "eof-mid-line": (p) => ({ bytes: bytesOf(p.pick(["D 12", "EN", "CA", "D"])), eof: true }),
  "eof-after-end": () => ({ bytes: pinAnswer(USER_PIN), eof: true }),
};

const NAMES = Object.keys(ANSWERS);

/** One answer kind for an INQUIRE. */
export function pickAnswer(prng: Prng): string {
  return prng.pick(NAMES);
}

/**
 * A responder that answers the first INQUIRE with `kind` and later ones (a second PIN, a
 * pinpad prompt) with the right PIN or CAN.
 */
export function responder(prng: Prng, kind: string): InquiryResponder {
  const first = ANSWERS[kind]!(prng);
  const later = prng.chance(0.5) ? ANSWERS["right-pin"]!(prng) : ANSWERS["can"]!(prng);
  return (inquiry, n) => {
    if (n === 0) return first;
    return inquiry.startsWith("NEEDPIN") ? later : { bytes: bytesOf("END\n") };
  };
}
