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
