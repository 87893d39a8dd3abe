import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { redactingSink } from "../log.ts";
import { type CardChannel, type CardReaderBackend, OperationAttempt } from "../pcsc/mod.ts";
import { fromHex, toHex } from "../util/bytes.ts";
import { answeredCommand, withApduLog } from "./apdu_log.ts";

/** A backend over one card whose answers are scripted by command (hex) → response (hex). */
function scripted(answers: Record<string, string>): CardReaderBackend {
  const channel: CardChannel = {
    reader: "R",
    atr: Uint8Array.of(0x3b),
    transmit: (apdu) => Promise.resolve(fromHex(answers[toHex(apdu)] ?? "6D00")),
  };
  return {
    kind: "test",
    listReaders: () => Promise.resolve(["R"]),
    withCard: (_reader, fn) => fn(channel, new OperationAttempt(1)),
    readerStates: () => Promise.resolve([]),
    watch: () =>
      Promise.resolve({ states: () => [], [Symbol.asyncDispose]: () => Promise.resolve() }),
  };
}

/** The rendered APDU log lines of `fn`. */
async function logged(fn: () => Promise<void>): Promise<string[]> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: redactingSink((r) => void records.push(r)) },
    loggers: [
      { category: ["scd-ts"], lowestLevel: "debug", sinks: ["memory"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  try {
    await fn();
  } finally {
    await reset();
  }
  return records.map((r) => r.message.join(""));
}

Deno.test("withApduLog() hides the GET RESPONSEs that carry the rest of a PSO:DECIPHER answer", async () => {
  const backend = withApduLog(scripted({
    "002A80860400AABBCC00": "1111111111116104",
    "00C0000004": "222222226102",
    "00C0000002": "33339000",
    "00CA006E00": "6E0161039000",
    "00C0000003": "AABBCC9000",
  }));
  const lines = await logged(() =>
    backend.withCard("R", async (channel) => {
      await channel.transmit(fromHex("002A80860400AABBCC00"));
      await channel.transmit(fromHex("00C0000004"));
      await channel.transmit(fromHex("00C0000002"));
      // a public answer that continues with GET RESPONSE stays readable
      await channel.transmit(fromHex("00CA006E00"));
      await channel.transmit(fromHex("00C0000003"));
    })
  );
  assertEquals(lines, [
    "R: 002A80860400AABBCC00 -> [redacted 6 bytes] 6104",
    "R: 00C0000004 -> [redacted 4 bytes] 6102",
    "R: 00C0000002 -> [redacted 2 bytes] 9000",
    "R: 00CA006E00 -> 6E0161039000",
    "R: 00C0000003 -> AABBCC9000",
  ]);
});

Deno.test("withApduLog() hides GET DATA 0103 and a PUT DATA 0104 body", async () => {
  const backend = withApduLog(scripted({ "00CA010300": "6E6F74659000", "00DA010402AABB": "9000" }));
  const lines = await logged(() =>
    backend.withCard("R", async (channel) => {
      await channel.transmit(fromHex("00CA010300"));
      await channel.transmit(fromHex("00DA010402AABB"));
    })
  );
  assertEquals(lines, [
    "R: 00CA010300 -> [redacted 4 bytes] 9000",
    "R: 00DA010402 [redacted 2 bytes] -> 9000",
  ]);
});

Deno.test("answeredCommand() continues the pending answer only for GET RESPONSE", () => {
  const pending = fromHex("002A8086");
  assertEquals(answeredCommand(fromHex("00C0000010"), pending), pending);
  assertEquals(toHex(answeredCommand(fromHex("00CA006E00"), pending)), "00CA006E");
  assertEquals(toHex(answeredCommand(fromHex("00C0000010"), undefined)), "00C00000");
  // only the header is kept: a VERIFY's PIN does not survive in the channel's memory
  assertEquals(answeredCommand(fromHex("0020008106313233343536"), undefined).length, 4);
});
