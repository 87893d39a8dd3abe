/**
 * The Assuan line reader's cost on 1 MiB of short lines (issue 17 L9: the reader used to copy
 * the rest of its buffer for every line, so 1 MiB of newlines took seconds). In-process, no
 * bed: `deno task bench` reports it among the daemon numbers, and
 * `deno run bench/line_reader.ts` prints it alone.
 * @module
 */

import { LineReader } from "../src/assuan/line_reader.ts";
import { percentile, round } from "./stats.ts";

/** Input size of each case. */
export const LINE_READER_INPUT = 1 << 20;

/** p50 ms to read every line of each 1 MiB input. */
export interface LineReaderNumbers {
  /** 1 MiB of LF alone (1,048,576 empty lines). */
  newlinesMs: number;
  /** 1 MiB of `NOP` lines (262,144 lines of 4 bytes). */
  nopsMs: number;
}

/** `size` bytes made of `line` repeated, delivered in 64 KiB chunks (a socket's pace). */
function source(line: string, size: number): ReadableStream<Uint8Array> {
  const unit = new TextEncoder().encode(line);
  const all = new Uint8Array(size);
  for (let off = 0; off < size; off += unit.length) all.set(unit.subarray(0, size - off), off);
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= size) return c.close();
      c.enqueue(all.slice(off, off + 65536));
      off += 65536;
    },
  });
}

async function readAll(line: string): Promise<number> {
  const reader = new LineReader(source(line, LINE_READER_INPUT));
  const start = performance.now();
  for (let r = await reader.read(); r.kind !== "eof"; r = await reader.read()) {
    // count nothing: the reading is what is measured
  }
  return performance.now() - start;
}

async function p50(line: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await readAll(line));
  return round(percentile(times, 50));
}

/** Measure both cases `runs` times each. */
export async function lineReaderMs(runs = 5): Promise<LineReaderNumbers> {
  return { newlinesMs: await p50("\n", runs), nopsMs: await p50("NOP\n", runs) };
}

if (import.meta.main) {
  const n = await lineReaderMs(Number(Deno.args[0] ?? 5));
  console.log(
    `Assuan line reader, 1 MiB (p50): newlines ${n.newlinesMs} ms, NOP lines ${n.nopsMs} ms`,
  );
}
