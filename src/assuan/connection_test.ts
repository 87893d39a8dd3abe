import { deepStrictEqual as assertEquals } from "node:assert";
import { GpgError } from "../gpg_error/mod.ts";
import type { Command } from "./command.ts";
import type { Connection, InquireOptions } from "./connection.ts";
import { AssuanServer } from "./server.ts";
import { TestClient } from "../../tests/support/assuan_client.ts";

interface Ctx {
  conn: Connection;
  results: string[];
}

const dec = new TextDecoder();

/** A command that inquires with the given options and reports the result as a status line. */
function inquiring(name: string, keyword: string, options: InquireOptions): Command<Ctx> {
  return {
    name,
    async run(ctx, args) {
      const value = await ctx.conn.inquire(keyword, args, options);
      ctx.results.push(dec.decode(value));
      await ctx.conn.status("GOT", String(value.length));
    },
  };
}

function start() {
  const results: string[] = [];
  const server = new AssuanServer<Ctx>({
    commands: [
      inquiring("ASK", "VALUE", { maxLength: 16 }),
      inquiring("PIN", "NEEDPIN", { maxLength: 100, confidential: true }),
      inquiring("POPUP", "POPUPPINPADPROMPT", { noData: true }),
      {
        name: "NESTED",
        async run(ctx) {
          const first = ctx.conn.inquire("A");
          const second = ctx.conn.inquire("B").catch((e: unknown) => e);
          await first;
          throw await second;
        },
      },
      {
        name: "FLOAT",
        run(ctx) {
          // A handler bug: an inquire left running after the command returns.
          void ctx.conn.inquire("LOST").catch(() => {});
          return Promise.resolve();
        },
      },
      {
        name: "LONGKW",
        async run(ctx) {
          await ctx.conn.inquire("K", "x".repeat(980));
        },
      },
    ],
    createSession: (conn) => ({ context: () => ({ conn, results }) }),
  });
  const client = new TestClient();
  const ended = server.serve(client.server);
  return { client, ended, results };
}

Deno.test("Connection.inquire() returns the D lines' data after END", async () => {
  const { client, ended, results } = start();
  await client.line();
  assertEquals(await client.transact("ASK some args"), ["INQUIRE VALUE some args"]);
  await client.send("# a comment", "", "D ab%25", "d cd", "D ", "END");
  assertEquals(await client.reply(), ["S GOT 5", "OK"]);
  assertEquals(results, ["ab%cd"]);
  await client.close();
  await ended;
});

Deno.test("Connection.inquire() turns CAN into ASS_CANCELED", async () => {
  const { client, ended } = start();
  await client.line();
  assertEquals(await client.transact("ASK"), ["INQUIRE VALUE"]);
  assertEquals(await client.transact("CAN"), ["ERR 100663573 IPC call has been cancelled <SCD>"]);
  assertEquals(await client.transact("NOP"), ["OK"]);
  await client.close();
  await ended;
});

Deno.test("Connection.inquire() reads up to END before reporting too much data", async () => {
  const { client, ended } = start();
  await client.line();
  assertEquals(await client.transact("ASK"), ["INQUIRE VALUE"]);
  await client.send("D 0123456789", "D 0123456", "D more", "END");
  assertEquals(await client.reply(), ["ERR 100663569 Too much data for IPC layer <SCD>"]);
  // Exactly maxLength bytes are fine.
  assertEquals(await client.transact("ASK"), ["INQUIRE VALUE"]);
  await client.send("D 0123456789", "D 012345", "END");
  assertEquals(await client.reply(), ["S GOT 16", "OK"]);
  await client.close();
  await ended;
});

Deno.test("Connection.inquire() rejects another command as unexpected", async () => {
  const { client, ended } = start();
  await client.line();
  assertEquals(await client.transact("ASK"), ["INQUIRE VALUE"]);
  assertEquals(await client.transact("NOP"), ["ERR 100663570 Unexpected IPC command <SCD>"]);
  assertEquals(await client.transact("POPUP"), ["INQUIRE POPUPPINPADPROMPT"]);
  assertEquals(await client.transact("D x"), ["ERR 100663570 Unexpected IPC command <SCD>"]);
  assertEquals(await client.transact("POPUP"), ["INQUIRE POPUPPINPADPROMPT"]);
  assertEquals(await client.transact("end"), ["S GOT 0", "OK"]);
  await client.close();
  await ended;
});

Deno.test("Connection.inquire() refuses nesting and over-long keywords", async () => {
  const { client, ended } = start();
  await client.line();
  assertEquals(await client.transact("NESTED"), ["INQUIRE A"]);
  // The second inquire fails at once; the handler reports it after the first one's END.
  assertEquals(await client.transact("END"), ["ERR 100663560 Nested IPC commands <SCD>"]);
  assertEquals(await client.transact("LONGKW"), [
    "ERR 100663557 Invalid value passed to IPC <SCD>",
  ]);
  await client.close();
  await ended;
});

Deno.test("Connection.inquire() takes a reply sent before the INQUIRE (queued in order)", async () => {
  const { client, ended, results } = start();
  await client.line();
  await client.send("ASK", "D early", "END", "NOP");
  assertEquals(await client.reply(), ["INQUIRE VALUE"]);
  assertEquals(await client.reply(), ["S GOT 5", "OK"]);
  assertEquals(await client.reply(), ["OK"]);
  assertEquals(results, ["early"]);
  await client.close();
  await ended;
});

Deno.test("Connection.inquire() fails with EOF when the client goes away", async () => {
  const { client, ended } = start();
  await client.line();
  assertEquals(await client.transact("PIN"), ["INQUIRE NEEDPIN"]);
  await client.send("D 1234");
  await client.close();
  assertEquals(await client.drain(), [
    "ERR 100679679 End of file <SCD> - peer closed the connection",
  ]);
  assertEquals(await ended, { reason: "eof" });
});

Deno.test("Connection.inquire() left running by a handler cannot steal later lines", async () => {
  const { client, ended } = start();
  await client.line();
  assertEquals(await client.transact("FLOAT"), ["INQUIRE LOST"]);
  assertEquals(await client.reply(), ["OK"]);
  assertEquals(await client.transact("NOP"), ["OK"]);
  await client.close();
  await ended;
});

Deno.test("GpgError codes used by inquire() have the libassuan numbers", () => {
  assertEquals(new GpgError("ASS_CANCELED").code, 277);
  assertEquals(new GpgError("ASS_TOO_MUCH_DATA").code, 273);
  assertEquals(new GpgError("ASS_UNEXPECTED_CMD").code, 274);
});
