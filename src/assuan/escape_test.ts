import { deepStrictEqual as assertEquals } from "node:assert";
import { escapeData, escapeStatus, percentPlusUnescape, unescapeData } from "./escape.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("escapeData() escapes only %, CR and LF in uppercase hex", () => {
  const input = Uint8Array.from([0x41, 0x25, 0x0d, 0x0a, 0x00, 0x2b, 0x20, 0x22, 0xff, 0x1f]);
  const out = escapeData(input);
  assertEquals(dec.decode(out.slice(0, 10)), "A%25%0D%0A");
  assertEquals([...out.slice(10)], [0x00, 0x2b, 0x20, 0x22, 0xff, 0x1f]);
});

Deno.test("escapeData() and unescapeData() round-trip every byte value", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const escaped = escapeData(all);
  assertEquals(escaped.includes(0x0a), false);
  assertEquals(escaped.includes(0x0d), false);
  assertEquals(unescapeData(escaped), all);
});

Deno.test("unescapeData() decodes any %XX, either case, and leaves + alone", () => {
  assertEquals(unescapeData(enc.encode("a%41%4a%2B+b")), enc.encode("aAJ++b"));
  assertEquals(unescapeData(enc.encode("%00%ff")), Uint8Array.from([0, 255]));
});

Deno.test("unescapeData() keeps malformed or truncated escapes as raw bytes", () => {
  assertEquals(unescapeData(enc.encode("x%zz%4")), enc.encode("x%zz%4"));
  assertEquals(unescapeData(enc.encode("%")), enc.encode("%"));
});

Deno.test("escapeStatus() escapes like send_status_info", () => {
  const out = escapeStatus(["Doe<<John", 'a b+c"d%e', Uint8Array.from([0x01, 0x7f, 0xc3, 0xa4])]);
  assertEquals(
    [...out],
    [...enc.encode("Doe<<John a+b%2Bc%22d%25e %01"), 0x7f, 0xc3, 0xa4],
  );
});

Deno.test("escapeStatus() skips empty arguments and joins with one space", () => {
  assertEquals(dec.decode(escapeStatus(["", "1", "", "2", ""])), "1 2");
  assertEquals(escapeStatus([]), new Uint8Array(0));
  // CHV-STATUS: gnupg builds " %d" per byte and sends it as one escaped argument.
  assertEquals(dec.decode(escapeStatus([" 1 127 127 127 3 0 3"])), "+1+127+127+127+3+0+3");
});

Deno.test("escapeStatus() stops near 950 bytes like scdaemon's buffer", () => {
  assertEquals(escapeStatus(["a".repeat(2000)]).length, 948);
  // An escape that starts at 947 still completes (3 bytes).
  const out = escapeStatus(["a".repeat(947) + "%%%"]);
  assertEquals(out.length, 950);
  assertEquals(dec.decode(out.slice(944)), "aaa%25");
  // Arguments after the limit are dropped.
  assertEquals(escapeStatus(["a".repeat(948), "b"]).length, 948);
});

Deno.test("percentPlusUnescape() reverses escapeStatus() for one argument", () => {
  const value = Uint8Array.from({ length: 256 }, (_, i) => i);
  assertEquals(percentPlusUnescape(escapeStatus([value])), value);
  assertEquals(dec.decode(percentPlusUnescape("0006+12345678")), "0006 12345678");
  assertEquals(dec.decode(percentPlusUnescape("100%25+sure")), "100% sure");
});
