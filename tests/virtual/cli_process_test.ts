/**
 * `deno task vcard` as a process against a fake vpcd (a TCP listener here), driven through its
 * control port. Needs --allow-net --allow-run --allow-read --allow-write.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { encodeFrame, FrameDecoder, VPCD_CTRL_ATR, VPCD_CTRL_ON } from "../../src/virtual/vpcd.ts";

const CLI = new URL("../../src/virtual/cli.ts", import.meta.url).pathname;
const SELECT_OPENPGP = Uint8Array.of(
  0x00,
  0xa4,
  0x04,
  0x00,
  0x06,
  0xd2,
  0x76,
  0x00,
  0x01,
  0x24,
  0x01,
);

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function control(
  port: number,
  cmd: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(JSON.stringify(cmd) + "\n"));
    let text = "";
    const buf = new Uint8Array(65536);
    while (!text.includes("\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return JSON.parse(text);
  } finally {
    conn.close();
  }
}

async function exchange(conn: Deno.Conn, decoder: FrameDecoder, payload: Uint8Array) {
  await conn.write(encodeFrame(payload));
  const buf = new Uint8Array(4096);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) throw new Error("Cannot read vpcd answer: connection closed");
    const frames = decoder.push(buf.subarray(0, n));
    if (frames.length > 0) return frames[0]!;
  }
}

/** Reads stdout until the first line, keeping the stream for later. */
async function firstLine(reader: ReadableStreamDefaultReader<string>): Promise<[string, string]> {
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const i = text.indexOf("\n");
  return [text.slice(0, i), text.slice(i + 1)];
}

Deno.test("vcard CLI connects to vpcd, answers APDUs, obeys its control port and quits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vcard-cli-" });
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const vpcdPort = (listener.addr as Deno.NetAddr).port;
  const controlPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      CLI,
      "--port",
      String(vpcdPort),
      "--control",
      String(controlPort),
      "--state",
      `${dir}/state.json`,
      "--serial",
      "CAFE0042",
    ],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let conn = await listener.accept();
    const [line] = await firstLine(stdout);
    assertEquals(line, `vcard: connected 127.0.0.1:${vpcdPort}`);
    let decoder = new FrameDecoder();
    await conn.write(encodeFrame(Uint8Array.of(VPCD_CTRL_ON)));
    const atr = await exchange(conn, decoder, Uint8Array.of(VPCD_CTRL_ATR));
    assertEquals(atr[0], 0x3b);
    assertEquals(await exchange(conn, decoder, SELECT_OPENPGP), Uint8Array.of(0x90, 0x00));
    assertEquals(await control(controlPort, { cmd: "status" }), {
      ok: true,
      connected: true,
      serial: "CAFE0042",
    });
    assertEquals((await control(controlPort, { cmd: "log" })).total, 1);

    assertEquals(await control(controlPort, { cmd: "inject", sw: "6982", count: 1 }), { ok: true });
    assertEquals(await exchange(conn, decoder, SELECT_OPENPGP), Uint8Array.of(0x69, 0x82));

    assertEquals(await control(controlPort, { cmd: "remove" }), { ok: true });
    assertEquals(await conn.read(new Uint8Array(16)), null); // card left the reader
    conn.close();
    assertEquals(await control(controlPort, { cmd: "insert" }), { ok: true });
    conn = await listener.accept();
    decoder = new FrameDecoder();
    await conn.write(encodeFrame(Uint8Array.of(VPCD_CTRL_ON)));
    assertEquals((await exchange(conn, decoder, Uint8Array.of(VPCD_CTRL_ATR)))[0], 0x3b);

    assertEquals(await control(controlPort, { cmd: "quit" }), { ok: true });
    const status = await child.status;
    assertEquals(status.code, 0);
    let rest = "";
    while (true) {
      const { value, done } = await stdout.read();
      if (done) break;
      rest += value;
    }
    assertEquals(rest, "", "stdout has exactly one line");
    conn.close();
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await child.status;
    await stdout.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vcard CLI exits with status 2 and usage on a bad argument", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      CLI,
      "--serial",
      "xyz",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 2);
  assertEquals(out.stdout.length, 0);
  const err = new TextDecoder().decode(out.stderr);
  assert(err.includes('Cannot parse --serial: "xyz" is not 8 hex digits'), err);
  assert(err.includes("Usage: deno task vcard"), err);
});
