import { deepStrictEqual as assertEquals, rejects } from "node:assert";
import { GpgError } from "../gpg_error/mod.ts";
import { unescapeData } from "./escape.ts";
import { MemoryTrace } from "./trace.ts";
import { AssuanWriter, formatErrLine, limitLine } from "./writer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function collector(): { chunks: Uint8Array[]; stream: WritableStream<Uint8Array> } {
  const chunks: Uint8Array[] = [];
  // copies, as a socket does: the writer wipes confidential lines once written
  return { chunks, stream: new WritableStream({ write: (c) => void chunks.push(c.slice()) }) };
}

function linesOf(chunks: Uint8Array[]): Uint8Array[] {
  // Every chunk is exactly one line ending in LF.
  for (const c of chunks) assertEquals(c[c.length - 1], 0x0a);
  return chunks.map((c) => c.subarray(0, c.length - 1));
}

Deno.test("formatErrLine() matches stock scdaemon's ERR lines", () => {
  const cases: [GpgError, string][] = [
    [new GpgError("NO_DATA"), "ERR 100663354 No data <SCD>"],
    [
      new GpgError("ASS_PARAMETER", { description: "unknown value for WHAT" }),
      "ERR 100663576 IPC parameter error <SCD> - unknown value for WHAT",
    ],
    [new GpgError("ENODEV"), "ERR 100696144 No such device <SCD>"],
    [new GpgError("CANCELED", { source: 4 }), "ERR 67108963 Operation cancelled <GPG Agent>"],
  ];
  for (const [e, line] of cases) assertEquals(dec.decode(formatErrLine(e)), line);
});

Deno.test("formatErrLine() cuts the description to 100 bytes and can replace it", () => {
  const e = new GpgError("GENERAL", { description: "d".repeat(150) });
  assertEquals(
    dec.decode(formatErrLine(e)),
    `ERR 100663297 General error <SCD> - ${"d".repeat(100)}`,
  );
  assertEquals(
    dec.decode(formatErrLine(e, { description: "[closing connection]" })),
    "ERR 100663297 General error <SCD> - [closing connection]",
  );
});

Deno.test("limitLine() cuts at LF and shortens lines over 1000 bytes to 999", () => {
  assertEquals(limitLine(enc.encode("OK a\nb")), enc.encode("OK a"));
  assertEquals(limitLine(new Uint8Array(1000)).length, 1000);
  assertEquals(limitLine(new Uint8Array(1001)).length, 999);
  assertEquals(limitLine(new Uint8Array(5000)).length, 999);
});

Deno.test("AssuanWriter.status() writes S lines and truncates over-long ones", async () => {
  const { chunks, stream } = collector();
  const w = new AssuanWriter(stream);
  await w.status("PROGRESS", "scd_locked . 0 0");
  await w.status("DEVINFO_START");
  await w.status("X", "y".repeat(2000));
  await w.comment("hi");
  await w.inquire("NEEDPIN ||Please unlock");
  await w.ok();
  await w.ok("closing connection");
  const lines = linesOf(chunks).map((l) => dec.decode(l));
  assertEquals(lines.slice(0, 2), ["S PROGRESS scd_locked . 0 0", "S DEVINFO_START"]);
  assertEquals(lines[2], "S X " + "y".repeat(995));
  assertEquals(lines.slice(3), [
    "# hi",
    "INQUIRE NEEDPIN ||Please unlock",
    "OK",
    "OK closing connection",
  ]);
});

Deno.test("AssuanWriter.data() splits into 998-byte D lines (996 raw bytes)", async () => {
  const { chunks, stream } = collector();
  const w = new AssuanWriter(stream);
  const data = Uint8Array.from({ length: 2500 }, (_, i) => 0x41 + (i % 26));
  await w.data(data.subarray(0, 1000));
  assertEquals(chunks.length, 1); // one full line went out at once
  await w.data(data.subarray(1000));
  assertEquals(chunks.length, 2);
  await w.flushData();
  const lines = linesOf(chunks);
  assertEquals(lines.map((l) => l.length), [998, 998, 2 + 2500 - 2 * 996]);
  for (const l of lines) assertEquals(dec.decode(l.subarray(0, 2)), "D ");
  const joined = lines.flatMap((l) => [...unescapeData(l.subarray(2))]);
  assertEquals(Uint8Array.from(joined), data);
});

Deno.test("AssuanWriter.data() lets an escape starting at 997 finish (line of 1000 bytes)", async () => {
  const { chunks, stream } = collector();
  const w = new AssuanWriter(stream);
  // 995 raw bytes bring the line to 997; the next byte is escaped to 3 bytes → 1000.
  await w.data(Uint8Array.from([...new Uint8Array(995).fill(0x61), 0x0a, 0x62]));
  await w.flushData();
  const lines = linesOf(chunks);
  assertEquals(lines.map((l) => l.length), [1000, 3]);
  assertEquals(dec.decode(lines[0]!.subarray(996)), "a%0A");
  assertEquals(dec.decode(lines[1]!), "D b");
});

Deno.test("AssuanWriter.data() sends NUL raw and escapes only % CR LF", async () => {
  const { chunks, stream } = collector();
  const w = new AssuanWriter(stream);
  await w.data(Uint8Array.from([0x00, 0x25, 0x0d, 0x0a, 0x2b, 0x20]));
  await w.flushData();
  await w.flushData(); // nothing buffered: no empty D line
  assertEquals(linesOf(chunks), [
    Uint8Array.from([0x44, 0x20, 0x00, ...enc.encode("%25%0D%0A+ ")]),
  ]);
});

Deno.test("AssuanWriter rejects every write after the first failure", async () => {
  const w = new AssuanWriter(
    new WritableStream({ write: () => Promise.reject(new Error("EPIPE")) }),
  );
  await rejects(w.ok(), /EPIPE/);
  await rejects(w.status("X"), /EPIPE/);
  assertEquals((w.failure as Error).message, "EPIPE");
});

Deno.test("AssuanWriter.beginConfidential() traces lines by length only until endConfidential()", async () => {
  const { chunks, stream } = collector();
  const trace = new MemoryTrace();
  const w = new AssuanWriter(stream, { trace });
  const secret = enc.encode("session-key-%-0123456789");
  await w.status("PADDING", "0");
  w.beginConfidential();
  await w.data(secret);
  await w.flushData();
  await w.status("PRIVATE-DO-3", "note");
  w.endConfidential();
  await w.data(enc.encode("public"));
  await w.flushData();
  await w.ok();
  // the client still gets the data
  assertEquals(linesOf(chunks).map((l) => dec.decode(l)), [
    "S PADDING 0",
    "D session-key-%25-0123456789",
    "S PRIVATE-DO-3 note",
    "D public",
    "OK",
  ]);
  assertEquals(trace.lines, [
    "-> S PADDING 0",
    "-> [redacted 28 bytes]",
    "-> [redacted 19 bytes]",
    "-> D public",
    "-> OK",
  ]);
});

Deno.test("AssuanWriter wipes a confidential D line once the sink has taken it", async () => {
  const taken: Uint8Array[] = [];
  const copies: string[] = [];
  const w = new AssuanWriter(
    new WritableStream({
      write: (c) => {
        taken.push(c);
        copies.push(dec.decode(c));
      },
    }),
  );
  w.beginConfidential();
  await w.data(enc.encode("session-key"));
  await w.flushData();
  w.endConfidential();
  await w.data(enc.encode("public"));
  await w.flushData();
  assertEquals(copies, ["D session-key\n", "D public\n"]);
  assertEquals(taken[0]!.every((b) => b === 0), true); // our buffer, wiped after the write
  assertEquals(dec.decode(taken[1]!), "D public\n"); // not a secret: left alone
});
