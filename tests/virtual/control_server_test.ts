/**
 * ControlServer over real TCP on 127.0.0.1. Needs --allow-net.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type ControlContext, ControlServer } from "../../src/virtual/control.ts";

function fakeContext(): ControlContext & { events: string[] } {
  const events: string[] = [];
  let connected = true;
  return {
    events,
    card: {
      serial: 0xfffe0001,
      reset: () => events.push("reset"),
      touch: () => events.push("touch"),
      setLatency: () => events.push("latency"),
      injectStatus: (sw, count) => events.push(`inject ${sw.toString(16)} ${count}`),
      apduLog: { total: () => 0, byIns: () => ({}), reset: () => events.push("log-reset") },
    },
    link: {
      get connected() {
        return connected;
      },
      remove: () => {
        connected = false;
        events.push("remove");
      },
      insert: () => {
        connected = true;
        events.push("insert");
      },
    },
    quit: () => events.push("quit"),
  };
}

/** A line-oriented client. */
class Client {
  readonly #conn: Deno.Conn;
  #text = "";
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  static async connect(port: number): Promise<Client> {
    return new Client(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  async write(text: string): Promise<void> {
    await this.#conn.write(new TextEncoder().encode(text));
  }
  async line(): Promise<Record<string, unknown> | null> {
    const buf = new Uint8Array(1024);
    while (!this.#text.includes("\n")) {
      const n = await this.#conn.read(buf);
      if (n === null) return null;
      this.#text += new TextDecoder().decode(buf.subarray(0, n));
    }
    const i = this.#text.indexOf("\n");
    const line = this.#text.slice(0, i);
    this.#text = this.#text.slice(i + 1);
    return JSON.parse(line);
  }
  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

Deno.test("ControlServer answers one JSON line per command line, several per connection", async () => {
  const ctx = fakeContext();
  await using server = ControlServer.listen(ctx, { port: 0 });
  const c = await Client.connect(server.port);
  await c.write('{"cmd":"status"}\n');
  assertEquals(await c.line(), { ok: true, connected: true, serial: "FFFE0001" });
  // Two commands in one write, one split across writes, blank lines ignored.
  await c.write('{"cmd":"remove"}\n\n{"cmd":"inject","sw":"6982","count":1}\n{"cmd":');
  await c.write('"status"}\n');
  assertEquals(await c.line(), { ok: true });
  assertEquals(await c.line(), { ok: true });
  assertEquals(await c.line(), { ok: true, connected: false, serial: "FFFE0001" });
  await c.write("nonsense\n");
  const err = await c.line();
  assert(err !== null && err.ok === false && typeof err.error === "string");
  assertEquals(ctx.events, ["remove", "inject 6982 1"]);
  c.close();
});

Deno.test("ControlServer serves clients one after another and side by side", async () => {
  const ctx = fakeContext();
  await using server = ControlServer.listen(ctx, { port: 0 });
  const a = await Client.connect(server.port);
  const b = await Client.connect(server.port);
  await b.write('{"cmd":"touch"}\n');
  assertEquals(await b.line(), { ok: true });
  await a.write('{"cmd":"reset"}\n');
  assertEquals(await a.line(), { ok: true });
  a.close();
  b.close();
  const c = await Client.connect(server.port);
  await c.write('{"cmd":"insert"}\n');
  assertEquals(await c.line(), { ok: true });
  c.close();
  assertEquals(ctx.events, ["touch", "reset", "insert"]);
});

Deno.test("ControlServer calls quit() after sending the reply", async () => {
  const ctx = fakeContext();
  await using server = ControlServer.listen(ctx, { port: 0 });
  const c = await Client.connect(server.port);
  await c.write('{"cmd":"quit"}\n');
  assertEquals(await c.line(), { ok: true });
  assertEquals(ctx.events, ["quit"]);
  c.close();
});

Deno.test("ControlServer.close() drops connected clients", async () => {
  const server = ControlServer.listen(fakeContext(), { port: 0 });
  const c = await Client.connect(server.port);
  await c.write('{"cmd":"status"}\n');
  assert((await c.line())?.ok);
  await server.close();
  assertEquals(await c.line(), null);
  c.close();
});
