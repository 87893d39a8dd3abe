import { deepStrictEqual as assertEquals, rejects } from "node:assert";
import { AssuanServer, type Connection, listenUnix } from "../../src/assuan/mod.ts";
import { LineReader } from "../../src/assuan/line_reader.ts";

const enc = new TextEncoder();
// Unix sockets need --allow-net in Deno 2.9; `deno task test` grants only read/write/env, so
// these tests run (rather than pass vacuously) only where net is allowed, e.g. `deno test -A`.
const ignore = (await Deno.permissions.query({ name: "net" })).state !== "granted";
const dec = new TextDecoder();

function makeServer() {
  return new AssuanServer<Connection>({
    hello: "GNU Privacy Guard's Smartcard server ready",
    commands: [{
      name: "ECHO",
      help: "ECHO <text>",
      async run(conn, args) {
        await conn.data(args);
      },
    }],
    createSession: (conn) => ({ context: () => conn }),
  });
}

async function dial(path: string) {
  const conn = await Deno.connect({ transport: "unix", path });
  const reader = new LineReader(conn.readable);
  const writer = conn.writable.getWriter();
  const line = async () => {
    const r = await reader.read();
    return r.kind === "line" ? dec.decode(r.bytes) : undefined;
  };
  const send = (text: string) => writer.write(enc.encode(text + "\n"));
  const close = () => {
    try {
      conn.close();
    } catch {
      // Deno already released the connection when its readable ended.
    }
  };
  return { line, send, close };
}

Deno.test(
  { name: "listenUnix() serves concurrent sessions on a 0600 socket", ignore },
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/S.scdaemon`;
      const ends: string[] = [];
      const listener = await listenUnix(makeServer(), path, {
        onSessionEnd: (end, id) => void ends.push(`${id}:${end.reason}`),
      });
      assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
      assertEquals((await Deno.stat(dir)).mode! & 0o777, 0o700);
      const a = await dial(path);
      const b = await dial(path);
      assertEquals(await a.line(), "OK GNU Privacy Guard's Smartcard server ready");
      assertEquals(await b.line(), "OK GNU Privacy Guard's Smartcard server ready");
      await b.send("ECHO two");
      await a.send("ECHO one");
      assertEquals([await a.line(), await a.line()], ["D one", "OK"]);
      assertEquals([await b.line(), await b.line()], ["D two", "OK"]);
      assertEquals(listener.activeSessions, 2);
      await a.send("BYE");
      assertEquals(await a.line(), "OK closing connection");
      assertEquals(await a.line(), undefined);
      await listener.close();
      await rejects(Deno.stat(path), Deno.errors.NotFound);
      // b keeps its session after the listener stopped accepting.
      await b.send("NOP");
      assertEquals(await b.line(), "OK");
      b.close();
      await listener.finished;
      assertEquals(ends.sort(), ["1:bye", "2:eof"]);
      a.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test({ name: "listenUnix() replaces a stale socket but not a live one", ignore }, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/S.scdaemon`;
    const stale = Deno.listen({ transport: "unix", path });
    stale.close(); // leaves the file behind with nobody answering
    await using first = await listenUnix(makeServer(), path);
    await rejects(listenUnix(makeServer(), path), /another server is serving it/);
    const c = await dial(first.path);
    assertEquals(await c.line(), "OK GNU Privacy Guard's Smartcard server ready");
    c.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({ name: "UnixListener disposal aborts running sessions", ignore }, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const listener = await listenUnix(makeServer(), `${dir}/S`);
    const c = await dial(listener.path);
    await c.line();
    await listener[Symbol.asyncDispose]();
    assertEquals(listener.activeSessions, 0);
    assertEquals(await c.line(), undefined);
    c.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
