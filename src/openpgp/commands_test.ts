import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { encodeCommandApdu } from "../iso7816/apdu.ts";
import { fromHex, toHex, utf8 } from "../util/bytes.ts";
import * as cmd from "./commands.ts";

const enc = (c: ReturnType<typeof cmd.select>) => toHex(encodeCommandApdu(c));

// Byte forms from scdaemon-protocol.md §7 (stock scdaemon traces) and spec 3.4 §7.2.
const CASES: [string, string, string][] = [
  ["select() with P2=0C", enc(cmd.select()), "00A4040C06D27600012401"],
  ["select() with FCI", enc(cmd.select({ fci: true })), "00A4040006D27600012401"],
  ["verify() PW1 81", enc(cmd.verify(cmd.PW1_SIGN, utf8("123456"))), "0020008106313233343536"],
  ["verifyStatus() 82", enc(cmd.verifyStatus(cmd.PW1_OTHER)), "00200082"],
  ["resetVerification() 83", enc(cmd.resetVerification(cmd.PW3)), "0020FF83"],
  [
    "changeReferenceData() 81",
    enc(cmd.changeReferenceData(0x81, fromHex("0102"))),
    "00240081020102",
  ],
  [
    "resetRetryCounter() after PW3",
    enc(cmd.resetRetryCounter(0x02, fromHex("AA"))),
    "002C028101AA",
  ],
  ["getData() 6E", enc(cmd.getData(0x6e)), "00CA006E00"],
  ["getData() 5F50", enc(cmd.getData(0x5f50)), "00CA5F5000"],
  ["putData() 5B", enc(cmd.putData(0x5b, utf8("Doe<<John"))), "00DA005B09446F653C3C4A6F686E"],
  ["putDataOdd()", enc(cmd.putDataOdd(fromHex("4D00"))), "00DB3FFF024D00"],
  ["psoComputeSignature()", enc(cmd.psoComputeSignature(fromHex("AB"))), "002A9E9A01AB00"],
  ["psoDecipher()", enc(cmd.psoDecipher(fromHex("00AB"))), "002A80860200AB00"],
  ["internalAuthenticate()", enc(cmd.internalAuthenticate(fromHex("AB"))), "0088000001AB00"],
  ["generateKeyPair() slot 1", enc(cmd.generateKeyPair(1)), "0047800002B80000"],
  ["readPublicKey() slot 0", enc(cmd.readPublicKey(0)), "0047810002B60000"],
  ["readPublicKey() slot 2", enc(cmd.readPublicKey(2)), "0047810002A40000"],
  ["getChallenge() 8", enc(cmd.getChallenge(8)), "0084000008"],
  ["terminateDf()", enc(cmd.terminateDf()), "00E60000"],
  ["activateFile()", enc(cmd.activateFile()), "00440000"],
];

for (const [name, got, want] of CASES) {
  Deno.test(`commands: ${name} encodes as ${want}`, () => {
    assertEquals(got, want);
  });
}

Deno.test("commands: key slots outside 0..2 are refused", () => {
  assertThrows(() => cmd.readPublicKey(3), RangeError);
});
