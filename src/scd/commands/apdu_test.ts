import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { MemoryTrace } from "../../assuan/mod.ts";
import { aid, Harness, transactData } from "../../../tests/support/scd_harness.ts";
import { carriesPin, parseApduHex, refused, secretApduStart } from "./apdu.ts";
import { fromHex } from "../../util/bytes.ts";

Deno.test("parseApduHex() allows blanks and colons and stops at other characters", () => {
  assertEquals([...parseApduHex("00 a4:04 00")], [0x00, 0xa4, 0x04, 0x00]);
  assertEquals([...parseApduHex("0084 000 8")], [0x00, 0x84, 0x00]);
  assertEquals([...parseApduHex("")], []);
});

Deno.test("APDU sends the bytes verbatim and returns data followed by the status word", async () => {
  const h = new Harness();
  h.insert("R", aid("00000001"), {
    atr: Uint8Array.of(0x3b, 0x8a),
    transmit: (apdu) =>
      apdu[1] === 0xca ? Uint8Array.of(0x0a, 0x0b, 0x90, 0x00) : Uint8Array.of(0x6d, 0x00),
  });
  const { client } = await h.connect();
  const withAtr = await transactData(client, "APDU --atr 00 CA 00 6E 00");
  assertEquals(withAtr.lines, ["S CARD-ATR 3B8A", "OK"]);
  assertEquals([...withAtr.data], [0x0a, 0x0b, 0x90, 0x00]);
  // A card error is data, not an ERR line.
  const error = await transactData(client, "APDU 00E60000");
  assertEquals([[...error.data], error.lines], [[0x6d, 0x00], ["OK"]]);
  assertEquals(h.backend.apdus, ["00CA006E00", "00E60000"]);
  assertEquals([...(await transactData(client, "APDU --data-atr")).data], [0x3b, 0x8a]);
  await client.close();
});

Deno.test("APDU --more collects 61xx continuations with GET RESPONSE", async () => {
  const h = new Harness();
  const answers = [Uint8Array.of(1, 2, 0x61, 0x02), Uint8Array.of(3, 4, 0x90, 0x00)];
  h.insert("R", aid("00000002"), { transmit: () => answers.shift()! });
  const { client } = await h.connect();
  const r = await transactData(client, "APDU --more 00CA7F2100");
  assertEquals([...r.data], [1, 2, 3, 4, 0x90, 0x00]);
  assertEquals(h.backend.apdus, ["00CA7F2100", "00C0000002"]);
  await client.close();
});

Deno.test("APDU without a card is ENODEV", async () => {
  const { client } = await new Harness().connect();
  assertEquals(await client.transact("APDU 00A4040006D27600012401"), [
    "ERR 100696144 No such device <SCD>",
  ]);
  await client.close();
});

Deno.test("secretApduStart() redacts the data of PIN- and key-carrying APDUs after the header", () => {
  const at = (line: string) => {
    const from = secretApduStart(new TextEncoder().encode(line));
    return from === undefined ? undefined : line.slice(0, from);
  };
  assertEquals(at("00200081 06 313233343536"), "00200081");
  assertEquals(at("--more 00:24:00:83:10:31323334353637383132333435363738"), "--more 00:24:00:83");
  assertEquals(at("00 2C 02 81 06 313233343536"), "00 2C 02 81");
  assertEquals(at("00DA00D510" + "00".repeat(16)), "00DA00D5"); // AES key
  assertEquals(at("00DB3FFF0A" + "00".repeat(10)), "00DB3FFF"); // key import
  // no data: the PIN status query; other commands; no APDU at all
  assertEquals(at("0020008100"), undefined);
  assertEquals(at("00200081"), undefined);
  assertEquals(at("00CA006E00"), undefined);
  assertEquals(at("002A9E9A0401020304"), undefined);
  assertEquals(at("--atr"), undefined);
});

Deno.test("APDU traces the answer of GET DATA 0103 or PSO:DECIPHER as redacted, still sends it", async () => {
  const h = new Harness();
  h.insert("R", aid("00000003"), {
    transmit: (apdu) =>
      apdu[1] === 0xca || apdu[1] === 0x2a
        ? Uint8Array.of(0x6e, 0x6f, 0x74, 0x65, 0x90, 0x00)
        : Uint8Array.of(0x90, 0x00),
  });
  const trace = new MemoryTrace();
  const { client } = await h.connect({ trace });
  const r = await transactData(client, "APDU 00CA010300");
  assertEquals([...r.data], [0x6e, 0x6f, 0x74, 0x65, 0x90, 0x00]);
  await transactData(client, "APDU 002A80860401020304");
  await transactData(client, "APDU 00CA010100"); // PRIVATE-DO-1: readable by anyone
  await client.close();
  const text = trace.lines.join("\n");
  assertEquals(trace.lines.filter((l) => l === "-> [redacted 8 bytes]").length, 2, text);
  assertEquals(trace.lines.filter((l) => l.startsWith("-> D note")).length, 1, text);
});

Deno.test("carriesPin() and refused(): which raw APDUs end in the strict reset", () => {
  assertEquals(carriesPin(fromHex("0020008106313233343536")), true);
  assertEquals(carriesPin(fromHex("002400810C313233343536313233343536")), true);
  assertEquals(carriesPin(fromHex("002C028106313233343536")), true);
  assertEquals(carriesPin(fromHex("0020008100")), false); // status query
  assertEquals(carriesPin(fromHex("002A9E9A0401020304")), false);
  // accepted (or unknown) → reset; a wrong PIN or an error → the card stays as it was
  for (const sw of ["9000", "6100", "6283"]) assertEquals(refused(fromHex(sw)), false, sw);
  for (const sw of ["63C2", "6983", "6982", "6A80", "6D00", "6700"]) {
    assertEquals(refused(fromHex(sw)), true, sw);
  }
  assertEquals(refused(fromHex("6310")), false); // a warning, not a refusal
});
