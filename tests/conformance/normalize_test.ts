import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { normalizeLine, normalizeTrace, splitRaw } from "./normalize.ts";

Deno.test("splitRaw() strips stock's log header and scd-ts's session number", () => {
  const stock = "2026-12-01 23:12:14 scdaemon[9979] DBG: chan_7 -> OK GNU Privacy Guard's";
  assertEquals(splitRaw(stock), { dir: "->", text: "OK GNU Privacy Guard's" });
  assertEquals(splitRaw("12 <- LEARN --force"), { dir: "<-", text: "LEARN --force" });
  assertEquals(splitRaw("2026-12-01 23:12:14 scdaemon[9979] DBG: send apdu: c=00"), undefined);
  // libassuan's hex dump of a data line: its first 16 bytes
  const dump = "x DBG: chan_7 -> [ 44 20 28 31 30 3a 70 75 62 6c 69 63 2d 6b 65 79 " +
    "...(284 byte(s) skipped) ]";
  assertEquals(splitRaw(dump), { dir: "->", text: "D (10:public-key" });
});

Deno.test("normalizeTrace() blanks random and run-specific values, keeps codes", () => {
  const lines = [
    "1 <- RESTART",
    "1 -> OK",
    "1 <- LEARN --force",
    "1 -> S READER Virtual PCD 00 01",
    "1 <- GENKEY --timestamp=20261201T231527 --force 1",
    "1 -> S KEY-CREATED-AT 1796166927",
    "1 -> S KEY-FPR DA6F5C49E6027FD3A23C3DE05F790C934A9A1AC9",
    "1 -> S SERIALNO D276000124010304FFFE5C0000010000",
    "1 -> D (10:public-key(3:rsa(1:n257:\x00\xc0\x36",
    "1 -> D more\x01 bytes",
    "1 -> OK",
    "1 <- WRITEKEY OPENPGP.1",
    "1 -> INQUIRE KEYDATA",
    "1 <- [redacted 900 bytes]",
    "1 <- END",
    "1 -> ERR 100663364 Missing item in object <SCD>",
    "1 <- SETATTR KDF \x81\x01\x03\x82\x01\x08",
    "1 -> D /tmp/scd-ts-e2e/h2.2-3fa1bc199d7c3759/S.scdaemon",
  ];
  assertEquals(normalizeTrace(lines), [
    "<- LEARN --force",
    "-> S READER Virtual PCD 00 0<N>",
    "<- GENKEY --timestamp=<TIME> --force 1",
    "-> S KEY-CREATED-AT <TIME>",
    "-> S KEY-FPR <HEX>",
    "-> S SERIALNO D276000124010304FFFE5C0000010000",
    "-> D (10:public-key<binary>",
    "-> OK",
    "<- WRITEKEY OPENPGP.1",
    "-> <confidential>",
    "<- <confidential>",
    "-> ERR 100663364",
    "<- SETATTR KDF <binary>",
    "-> D <HOME>/S.scdaemon",
  ]);
});

Deno.test("normalizeTrace() drops the tail of the exchange before the step", () => {
  assertEquals(normalizeTrace(["1 -> OK", "1 <- SERIALNO", "1 -> OK"]), ["<- SERIALNO", "-> OK"]);
  assertEquals(normalizeTrace(["1 <- RESTART", "1 -> OK", "1 <- SERIALNO"]), ["<- SERIALNO"]);
});

Deno.test("a random signature that starts with '(' is still just binary", () => {
  assertEquals(normalizeTrace(["1 <- PKSIGN", "1 -> D (\x93\x11random"]), [
    "<- PKSIGN",
    "-> D <binary>",
  ]);
});

Deno.test("normalizeTrace() takes scd-ts's redacted PKDECRYPT data for stock's binary D line", () => {
  const stock = [
    "x DBG: chan_7 <- PKDECRYPT OPENPGP.2",
    "x DBG: chan_7 -> S PADDING 0",
    "x DBG: chan_7 -> [ 44 20 09 8f 11 a2 00 01 02 03 04 05 06 07 08 09 ...(20 byte(s) skipped) ]",
    "x DBG: chan_7 -> OK",
  ];
  const scdTs = [
    "1 <- PKDECRYPT OPENPGP.2",
    "1 -> S PADDING 0",
    "1 -> [redacted 37 bytes]",
    "1 -> OK",
  ];
  assertEquals(normalizeTrace(scdTs), normalizeTrace(stock));
  assertEquals(normalizeTrace(scdTs)[2], "-> D <binary>");
});

Deno.test("normalizeLine() reads scd-ts's redacted command tail as stock's full hex line", () => {
  const stock = normalizeLine("<-", "APDU 0020008140" + "31".repeat(64));
  assertEquals(normalizeLine("<-", "APDU 00200081 [redacted 66 bytes]"), stock);
  assertEquals(stock, "<- APDU <HEX>");
  assertEquals(
    normalizeLine("<-", "SETATTR AESKEY [redacted 32 bytes]"),
    "<- SETATTR AESKEY <HEX>",
  );
});

Deno.test("normalizeTrace() drops a greeting that ends the step (the closing sync's connection)", () => {
  const stock = (line: string) => `2026-12-07 19:18:20 scdaemon[9461] DBG: chan_7 ${line}`;
  const tail = ["<- RESTART", "-> OK"];
  assertEquals(
    normalizeTrace([...tail.map(stock), stock("-> OK GNU Privacy Guard's Smartcard server ready")]),
    normalizeTrace(tail.map((l) => `1 ${l}`)),
  );
  // a greeting inside the step stays (the daemon restarted while gpg worked)
  const inside = normalizeTrace(["1 -> OK GNU Privacy Guard's Smartcard server ready", "1 <- NOP"]);
  assertEquals(inside.includes("<- NOP"), true);
});

Deno.test("normalizeTrace() leaves out a connection's BYE and its closing OK", () => {
  assertEquals(normalizeTrace(["1 <- NOP", "1 -> OK", "2 <- BYE", "2 -> OK closing connection"]), [
    "<- NOP",
    "-> OK",
  ]);
});

Deno.test("normalizeTrace() leaves out the step's closing RESTART, whichever side of the sync it fell", () => {
  const step = ["1 <- PASSWD OPENPGP.1", "1 -> OK"];
  const late = normalizeTrace(step);
  assertEquals(normalizeTrace([...step, "1 <- RESTART", "1 -> OK"]), late);
  assertEquals(late, ["<- PASSWD OPENPGP.1", "-> OK"]);
  // a daemon that refuses RESTART is the daemon's doing
  assertEquals(
    normalizeTrace([...step, "1 <- RESTART", "1 -> ERR 100663406 Not supported"]).at(-2),
    "<- RESTART",
  );
});
