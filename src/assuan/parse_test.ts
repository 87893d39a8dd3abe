import { deepStrictEqual as assertEquals, throws } from "node:assert";
import { AssuanSyntaxError, commandArgBytes, parseLine } from "./parse.ts";

const enc = new TextEncoder();
const p = (s: string, inquiry = false) => parseLine(enc.encode(s), { inquiry });

Deno.test("parseLine() splits verb and arguments at the first blank", () => {
  assertEquals(p("GETINFO version"), { kind: "command", verb: "GETINFO", args: "version" });
  assertEquals(p("PKSIGN \t --hash=sha256  GRIP "), {
    kind: "command",
    verb: "PKSIGN",
    args: "--hash=sha256  GRIP ",
  });
  assertEquals(p("NOP"), { kind: "command", verb: "NOP", args: "" });
  assertEquals(p("BYE"), { kind: "command", verb: "BYE", args: "" });
  assertEquals(p("END"), { kind: "command", verb: "END", args: "" });
  assertEquals(p("CAN"), { kind: "command", verb: "CAN", args: "" });
});

Deno.test("parseLine() ignores empty and comment lines", () => {
  assertEquals(p(""), { kind: "empty" });
  assertEquals(p("# hello"), { kind: "comment" });
  assertEquals(p("#", true), { kind: "comment" });
});

Deno.test("parseLine() rejects leading white space outside an inquiry", () => {
  for (const line of [" NOP", "\tNOP", "\0NOP"]) {
    throws(() => p(line), (e: unknown) => {
      return e instanceof AssuanSyntaxError && e.description === "leading white-space";
    });
  }
});

Deno.test("parseLine() ends a command line at NUL", () => {
  assertEquals(p("NOP x\0y"), { kind: "command", verb: "NOP", args: "x" });
});

Deno.test("parseLine() decodes D lines; only uppercase D outside an inquiry", () => {
  assertEquals(p("D a%25b%0A"), { kind: "data", data: enc.encode("a%b\n") });
  assertEquals(p("D "), { kind: "data", data: new Uint8Array(0) });
  assertEquals(p("d x"), { kind: "command", verb: "d", args: "x" });
  assertEquals(p("d x", true), { kind: "data", data: enc.encode("x") });
  assertEquals(p("Dx", true), { kind: "command", verb: "Dx", args: "" });
});

Deno.test("parseLine() recognises END and CAN in an inquiry like libassuan", () => {
  assertEquals(p("END", true), { kind: "end" });
  assertEquals(p("end", true), { kind: "end" });
  assertEquals(p("END extra", true), { kind: "end" });
  assertEquals(p("ENDX", true), { kind: "command", verb: "ENDX", args: "" });
  assertEquals(p("CAN", true), { kind: "can" });
  assertEquals(p("cancel", true), { kind: "can" });
  assertEquals(p(" NOP", true), { kind: "command", verb: "", args: "NOP" });
});

Deno.test("commandArgBytes() keeps the argument bytes that args decodes lossily", () => {
  const line = Uint8Array.of(
    ...new TextEncoder().encode("SETATTR  KDF "),
    0x81,
    0x01,
    0x03,
    0,
    0x55,
  );
  assertEquals([...commandArgBytes(line)], [...new TextEncoder().encode("KDF "), 0x81, 0x01, 0x03]);
  assertEquals(commandArgBytes(new TextEncoder().encode("NOP")).length, 0);
});
