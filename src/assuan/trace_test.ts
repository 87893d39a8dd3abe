import { deepStrictEqual as assertEquals } from "node:assert";
import type { Connection } from "./connection.ts";
import { AssuanServer } from "./server.ts";
import { MemoryTrace, TraceFile, type TraceSink } from "./trace.ts";
import { TestClient } from "../../tests/support/assuan_client.ts";

const PIN = "271828";

function pinServer(seen: Uint8Array[]) {
  return new AssuanServer<Connection>({
    hello: "ready",
    commands: [{
      name: "CHECKPIN",
      async run(conn) {
        const pin = await conn.inquire("NEEDPIN", "||Please unlock the card", {
          maxLength: 100,
          confidential: true,
        });
        seen.push(pin.slice());
        pin.fill(0);
        const note = await conn.inquire("KNOWNCARDP", "D276", { maxLength: 100 });
        seen.push(note);
      },
    }],
    createSession: (conn) => ({ context: () => conn }),
  });
}

async function runSession(trace: TraceSink, seen: Uint8Array[]): Promise<void> {
  const client = new TestClient();
  const ended = pinServer(seen).serve(client.server, { trace });
  await client.line();
  assertEquals(await client.transact("CHECKPIN"), ["INQUIRE NEEDPIN ||Please unlock the card"]);
  // gpg-agent sends the PIN NUL-padded to 90 bytes (inq_needpin); NUL travels raw.
  await client.sendRaw(`D ${PIN}${"\0".repeat(84)}\nEND\n`);
  assertEquals(await client.reply(), ["INQUIRE KNOWNCARDP D276"]);
  await client.send("D visible", "END");
  assertEquals(await client.reply(), ["OK"]);
  await client.close();
  await ended;
}

Deno.test("MemoryTrace records both directions and redacts confidential D lines", async () => {
  const trace = new MemoryTrace();
  const seen: Uint8Array[] = [];
  await runSession(trace, seen);
  assertEquals(new TextDecoder().decode(seen[0]!.subarray(0, 6)), PIN);
  assertEquals(trace.lines, [
    "-> OK ready",
    "<- CHECKPIN",
    "-> INQUIRE NEEDPIN ||Please unlock the card",
    "<- [redacted 92 bytes]",
    "<- END",
    "-> INQUIRE KNOWNCARDP D276",
    "<- D visible",
    "<- END",
    "-> OK",
  ]);
});

Deno.test("TraceFile never writes the PIN to the trace file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/trace.log`;
    using file = await TraceFile.open(path);
    await runSession(file.withPrefix("[1] "), []);
    file.close();
    const text = await Deno.readTextFile(path);
    assertEquals(text.includes(PIN), false);
    assertEquals(text.includes("[1] <- [redacted 92 bytes]\n"), true);
    assertEquals(text.includes("[1] <- D visible\n"), true);
    assertEquals(text.startsWith("[1] -> OK ready\n"), true);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TraceFile.open() refuses a symlink and makes an existing 0644 trace file 0600", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/target`, "");
    await Deno.symlink(`${dir}/target`, `${dir}/link.log`);
    let refused = false;
    try {
      (await TraceFile.open(`${dir}/link.log`)).close();
    } catch (e) {
      refused = /symbolic link/.test((e as Error).message);
    }
    assertEquals(refused, true);
    assertEquals(await Deno.readTextFile(`${dir}/target`), "");
    await Deno.writeTextFile(`${dir}/old.log`, "", { mode: 0o644 });
    await Deno.chmod(`${dir}/old.log`, 0o644);
    (await TraceFile.open(`${dir}/old.log`)).close();
    assertEquals((await Deno.stat(`${dir}/old.log`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A server whose SECRET command takes a key inline and whose DECRYPT answers confidentially. */
function secretServer() {
  return new AssuanServer<Connection>({
    hello: "ready",
    commands: [{
      name: "SECRET",
      run: async () => {},
      // `SECRET <name> <value>`: the value is the secret
      secretArgs: (raw) => {
        const blank = raw.indexOf(0x20);
        return blank < 0 ? undefined : blank + 1;
      },
    }, {
      name: "DECRYPT",
      async run(conn, args) {
        await conn.status("PADDING", "0");
        if (args !== "--public") conn.beginConfidential();
        await conn.data("plaintext-3141");
      },
    }],
    createSession: (conn) => ({ context: () => conn }),
  });
}

Deno.test("Trace redacts a command's secret arguments and confidential output until its reply", async () => {
  const trace = new MemoryTrace();
  const client = new TestClient();
  const ended = secretServer().serve(client.server, { trace });
  await client.line();
  assertEquals(await client.transact("SECRET AESKEY 00112233"), ["OK"]);
  assertEquals(await client.transact("SECRET bare"), ["OK"]);
  assertEquals(await client.transact("DECRYPT"), ["S PADDING 0", "D plaintext-3141", "OK"]);
  assertEquals(await client.transact("DECRYPT --public"), [
    "S PADDING 0",
    "D plaintext-3141",
    "OK",
  ]);
  await client.close();
  await ended;
  assertEquals(trace.lines, [
    "-> OK ready",
    "<- SECRET AESKEY [redacted 8 bytes]",
    "-> OK",
    "<- SECRET bare",
    "-> OK",
    "<- DECRYPT",
    "-> S PADDING 0",
    "-> [redacted 16 bytes]",
    "-> OK",
    "<- DECRYPT --public",
    "-> S PADDING 0",
    "-> D plaintext-3141",
    "-> OK",
  ]);
});

Deno.test("TraceFile writes redacted command lines and output with the session prefix", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/trace.log`;
    using file = await TraceFile.open(path);
    const client = new TestClient();
    const ended = secretServer().serve(client.server, { trace: file.withPrefix("[2] ") });
    await client.line();
    await client.transact("SECRET AESKEY 00112233");
    await client.transact("DECRYPT");
    await client.close();
    await ended;
    file.close();
    const text = await Deno.readTextFile(path);
    assertEquals(text.includes("00112233") || text.includes("plaintext-3141"), false);
    assertEquals(text.includes("[2] <- SECRET AESKEY [redacted 8 bytes]\n"), true);
    assertEquals(text.includes("[2] -> [redacted 16 bytes]\n"), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
