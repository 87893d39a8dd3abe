/**
 * The Assuan fuzzer: malformed client input against the real command server. Case kinds:
 * malformed lines sent one by one (each awaited, INQUIREs answered badly); pipelined bursts
 * whose reply count is checked exactly; an inquiring command (PKSIGN, PKAUTH, PKDECRYPT,
 * CHECKPIN, PASSWD, GENKEY, WRITEKEY, WRITECERT, SETATTR --inquire, LEARN --force) whose
 * INQUIRE gets a wrong, oversized, cancelled or cut-off answer; SETDATA beyond its limit;
 * EOF in the middle of a line or right after a command.
 * @module
 */

import {
  bytesOf,
  expectsReply,
  longLine,
  malformedLine,
  splitWire,
  STATEFUL_VERBS,
  verbOf,
  wire,
} from "./_assuan_input.ts";
import { cancelAll, type InquiryResponder, showBytes } from "./_client.ts";
import { within } from "./_daemon.ts";
import { pickAnswer, responder } from "./_inquiry_answers.ts";
import { type CaseContext, type FuzzCase, type Fuzzer, REPLY_MS } from "./_setup.ts";
import type { Prng } from "./prng.ts";

const SERIAL = "D276000124010304FFFE000000010000";

/** Send `bytes` line by line, reading the reply of each line that gets one. */
async function sendLines(
  ctx: CaseContext,
  bytes: Uint8Array,
  respond: InquiryResponder,
): Promise<void> {
  const { lines, tail } = splitWire(bytes);
  for (const line of lines) {
    if (ctx.client.dead || ctx.client.inputClosed) return;
    await ctx.client.send(bytesOf(line, "\n"));
    if (expectsReply(line)) ctx.check(await ctx.client.reply(respond, REPLY_MS));
  }
  if (tail.length > 0) await ctx.client.send(tail);
}

function linesCase(prng: Prng): FuzzCase {
  const input = wire(prng, Array.from({ length: prng.range(1, 4) }, () => malformedLine(prng)));
  const answer = pickAnswer(prng);
  const respond = responder(prng, answer);
  return {
    input: `lines, inquiry answer ${answer}: ${showBytes(input)}`,
    run: (ctx) => sendLines(ctx, input, respond),
  };
}

/** A line with a session-ending or inquiring verb replaced, so a burst's replies add up. */
function burstLine(prng: Prng): Uint8Array {
  for (;;) {
    const line = malformedLine(prng);
    if (!STATEFUL_VERBS.has(verbOf(line.subarray(line[0] === 0x0d ? 1 : 0)))) return line;
  }
}

function burstCase(prng: Prng): FuzzCase {
  const input = wire(prng, Array.from({ length: prng.range(2, 60) }, () => burstLine(prng)));
  const { lines } = splitWire(input);
  // A CR left at the start of a line by "\n\r" makes its verb start with CR: still counted.
  const expected = lines.filter((l) => expectsReply(l) && !STATEFUL_VERBS.has(verbOf(l))).length;
  return {
    input: `burst of ${lines.length} lines (${expected} replies): ${showBytes(input, 600)}`,
    async run(ctx) {
      if (lines.some((l) => STATEFUL_VERBS.has(verbOf(l)))) return; // merged into a bad verb
      // Read while sending: the in-memory pipes hold one chunk, so a writer that waits for
      // the whole burst to be taken would deadlock with a daemon that waits for its replies
      // to be taken.
      const sending = ctx.client.send(input);
      let got = 0;
      const synced = await ctx.client.sync("2.4.8", REPLY_MS * 3, (reply) => {
        got++;
        ctx.check(reply);
      });
      if (!synced) ctx.fail("hang", `burst: no reply to GETINFO after ${got} replies`);
      else if (got !== expected) {
        ctx.fail("reply-count", `expected ${expected} replies, got ${got}`);
      }
      if (await within(sending, REPLY_MS) === "timeout") ctx.fail("hang", "burst not taken");
    },
  };
}

/** Commands that INQUIRE, each after the setup lines it needs. */
function inquiringCommand(prng: Prng, grips: readonly string[]): string[] {
  const digest = "11".repeat(32);
  const options: string[][] = [
    ["SERIALNO", `SETDATA ${digest}`, "PKSIGN --hash=sha256 OPENPGP.1"],
    ["SERIALNO", `SETDATA ${digest}`, `PKSIGN --hash=sha256 ${grips[0] ?? "OPENPGP.1"}`],
    ["SERIALNO", `SETDATA ${digest}`, "PKAUTH OPENPGP.3"],
    ["SERIALNO", `SETDATA 40${"22".repeat(32)}`, "PKDECRYPT OPENPGP.2"],
    ["SERIALNO", `CHECKPIN ${SERIAL}`],
    ["SERIALNO", "PASSWD OPENPGP.1"],
    ["SERIALNO", "GENKEY --force --algo=ed25519 3"],
    ["SERIALNO", "WRITEKEY --force OPENPGP.3"],
    ["SERIALNO", "WRITECERT OPENPGP.3"],
    ["SERIALNO", "SETATTR --inquire DISP-NAME"],
    ["LEARN --force"],
  ];
  return prng.pick(options);
}

/** The inquiring command with CAN right behind it, before its INQUIRE has been seen. */
function earlyCanCase(prng: Prng, grips: readonly string[]): FuzzCase {
  const lines = inquiringCommand(prng, grips);
  const setup = bytesOf(...lines.slice(0, -1).map((l) => l + "\n"));
  const last = bytesOf(lines.at(-1)!, "\n", prng.pick(["CAN\n", "can\n", "CAN x\n"]));
  return {
    input: `early CAN: ${showBytes(bytesOf(setup, last))}`,
    async run(ctx) {
      await sendLines(ctx, setup, cancelAll);
      await ctx.client.send(last);
      ctx.check(await ctx.client.reply(() => ({}), REPLY_MS)); // the queued CAN answers
    },
  };
}

function inquiryCase(prng: Prng, grips: readonly string[]): FuzzCase {
  if (prng.chance(0.1)) return earlyCanCase(prng, grips);
  const lines = inquiringCommand(prng, grips);
  const answer = pickAnswer(prng);
  const respond = responder(prng, answer);
  const after = prng.chance(0.3) ? [malformedLine(prng)] : [];
  const input = bytesOf(...lines.map((l) => l + "\n"), wire(prng, after));
  return {
    input: `inquiry answer ${answer}: ${showBytes(input)}`,
    run: (ctx) => sendLines(ctx, input, respond),
  };
}

function setDataCase(prng: Prng): FuzzCase {
  const lines: (string | Uint8Array)[] = [];
  if (prng.chance(0.3)) lines.push(longLine(prng)); // over the line limit
  const chunk = prng.pick([476, 500, 499, 64]);
  const total = prng.pick([4096, 4097, 4600, 9000]);
  for (let sent = 0; sent < total; sent += chunk) {
    lines.push(`SETDATA ${sent === 0 ? "" : "--append "}${"AB".repeat(chunk)}`);
  }
  lines.push(prng.pick(["PKSIGN --hash=sha256 OPENPGP.1", "PKDECRYPT OPENPGP.2", "NOP"]));
  const input = bytesOf(...lines.flatMap((l) => [l, "\n"]));
  return {
    input: `setdata ${total} bytes in ${chunk}-byte chunks: ${showBytes(input, 200)}`,
    run: (ctx) => sendLines(ctx, input, cancelAll),
  };
}

function eofCase(prng: Prng): FuzzCase {
  const line = malformedLine(prng);
  const complete = prng.chance(0.5);
  const input = bytesOf(prng.chance(0.5) ? "SERIALNO\n" : "", line, complete ? "\n" : "");
  return {
    input: `eof after ${complete ? "a complete" : "a partial"} line: ${showBytes(input)}`,
    async run(ctx) {
      await ctx.client.send(input);
      await ctx.client.closeInput();
      for (;;) { // whatever comes before the session closes must be sensible
        const reply = await ctx.client.reply(cancelAll, REPLY_MS);
        ctx.check(reply, true);
        if (reply.end.kind === "closed" || reply.end.kind === "timeout") return;
      }
    },
  };
}

/** The Assuan fuzzer. */
export const assuanFuzzer: Fuzzer = {
  title: "assuan",
  make(prng, _index, grips) {
    const r = prng.int(100);
    if (r < 40) return linesCase(prng);
    if (r < 52) return burstCase(prng);
    if (r < 82) return inquiryCase(prng, grips);
    if (r < 90) return setDataCase(prng);
    return eofCase(prng);
  },
};
