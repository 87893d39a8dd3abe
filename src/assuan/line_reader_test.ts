import { deepStrictEqual as assertEquals } from "node:assert";
import { LineReader, type ReadResult } from "./line_reader.ts";

const enc = new TextEncoder();

function streamOf(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((c) => (typeof c === "string" ? enc.encode(c) : c)));
}

async function readAll(reader: LineReader): Promise<(string | ReadResult)[]> {
  const out: (string | ReadResult)[] = [];
  for (;;) {
    const r = await reader.read();
    out.push(r.kind === "line" ? new TextDecoder().decode(r.bytes) : r);
    if (r.kind === "eof") return out;
  }
}

Deno.test("LineReader.read() splits lines across chunks and strips one CR", async () => {
  const reader = new LineReader(streamOf("NOP\r\nGETI", "NFO version\n\nD a\r\r\n"));
  assertEquals(await readAll(reader), [
    "NOP",
    "GETINFO version",
    "",
    "D a\r",
    { kind: "eof", partial: 0 },
  ]);
});

Deno.test("LineReader.read() returns bytes untouched, NUL and high bytes included", async () => {
  const raw = Uint8Array.from([0x44, 0x20, 0x00, 0xff, 0x80, 0x0a]);
  const r = await new LineReader(streamOf(raw)).read();
  assertEquals(r, { kind: "line", bytes: Uint8Array.from([0x44, 0x20, 0x00, 0xff, 0x80]) });
});

Deno.test("LineReader.read() accepts 1001 bytes before LF and rejects 1002", async () => {
  const ok = "x".repeat(1001);
  const long = "y".repeat(1002);
  const reader = new LineReader(
    streamOf(ok + "\n", long.slice(0, 500), long.slice(500) + "\nNOP\n"),
  );
  const results = await readAll(reader);
  assertEquals(results.length, 4);
  assertEquals(results[0], ok);
  assertEquals(results[1], { kind: "too-long", length: 1002 });
  assertEquals(results[2], "NOP");
});

Deno.test("LineReader.read() resyncs after a very long line spread over many chunks", async () => {
  const chunks = Array.from({ length: 20 }, () => "z".repeat(4096));
  const reader = new LineReader(streamOf(...chunks, "tail\nBYE\n"));
  assertEquals(await readAll(reader), [
    { kind: "too-long", length: 20 * 4096 + 4 },
    "BYE",
    { kind: "eof", partial: 0 },
  ]);
});

Deno.test("LineReader.read() drops an unterminated last line at EOF", async () => {
  const reader = new LineReader(streamOf("NOP\nBY"));
  assertEquals(await readAll(reader), ["NOP", { kind: "eof", partial: 2 }]);
});

Deno.test("LineReader.read() treats a source error as EOF", async () => {
  let pulls = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulls++ === 0) controller.enqueue(enc.encode("NOP\n"));
      else controller.error(new Error("connection reset"));
    },
  });
  assertEquals(await readAll(new LineReader(source)), ["NOP", { kind: "eof", partial: 0 }]);
});

Deno.test("LineReader honours a smaller maxLineLength", async () => {
  const reader = new LineReader(streamOf("abcd\nabcde\n"), { maxLineLength: 5 });
  assertEquals(await readAll(reader), [
    "abcd",
    { kind: "too-long", length: 5 },
    { kind: "eof", partial: 0 },
  ]);
});

Deno.test("LineReader copies each byte a bounded number of times (linear in the input)", async () => {
  // 1 MiB of empty lines in 64 KiB chunks: copying the rest of the buffer per line, as the
  // reader once did, moves about 34 GB here; a read offset moves each byte in and no more
  const size = 1 << 20;
  const chunks = Array.from({ length: size / 65536 }, () => new Uint8Array(65536).fill(0x0a));
  const reader = new LineReader(ReadableStream.from(chunks));
  let lines = 0;
  for (let r = await reader.read(); r.kind === "line"; r = await reader.read()) lines++;
  assertEquals(lines, size);
  assertEquals(reader.bytesMoved <= 2 * size, true, `${reader.bytesMoved} bytes moved`);
});

Deno.test("LineReader gives the same lines whatever the chunking (compaction and growth)", async () => {
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const lines = Array.from({ length: 400 }, (_, i) => "x".repeat(rand(900)) + `#${i}`);
  const all = enc.encode(lines.join("\n") + "\n");
  for (const max of [1, 7, 100, 1500, 70000]) {
    const chunks: Uint8Array[] = [];
    for (let off = 0; off < all.length;) {
      const n = 1 + rand(max);
      chunks.push(all.slice(off, off + n));
      off += n;
    }
    const got = await readAll(new LineReader(ReadableStream.from(chunks)));
    assertEquals(got.slice(0, -1), lines, `chunks up to ${max} bytes`);
    assertEquals(got.at(-1), { kind: "eof", partial: 0 });
  }
});
