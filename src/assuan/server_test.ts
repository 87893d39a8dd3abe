import { deepStrictEqual as assertEquals } from "node:assert";
import { GpgError } from "../gpg_error/mod.ts";
import { assuanInputCommand } from "./builtins.ts";
import type { Command, Session } from "./command.ts";
import type { Connection } from "./connection.ts";
import { AssuanServer, type ServerOptions } from "./server.ts";
import { TestClient } from "../../tests/support/assuan_client.ts";

interface Ctx {
  conn: Connection;
  signal: AbortSignal;
  log: string[];
}

const HELLO = "GNU Privacy Guard's Smartcard server ready";

function cmd(
  name: string,
  run: (ctx: Ctx, args: string) => Promise<void>,
  help?: string,
): Command<Ctx> {
  return help === undefined ? { name, run } : { name, help, run };
}

const COMMANDS: Command<Ctx>[] = [
  cmd("GETINFO", async (ctx, args) => {
    if (args !== "version") {
      throw new GpgError("ASS_PARAMETER", { description: "unknown value for WHAT" });
    }
    await ctx.conn.data("2.2.40");
  }, "GETINFO <what>\n\nMulti purpose command.\n"),
  assuanInputCommand,
  cmd("FAIL", () => Promise.reject(new TypeError("oops"))),
  cmd("BIGDATA", async (ctx) => {
    await ctx.conn.data(new Uint8Array(2000).fill(0x61));
    throw new GpgError("CARD");
  }),
  cmd("STATUS", async (ctx) => {
    await ctx.conn.status("DISP-NAME", "Doe<<John Q");
    await ctx.conn.statusRaw("SERIALNO", "D2760001240103040006123456780000");
    await ctx.conn.statusRaw("BAD", "a\nb");
  }),
  cmd("KILL", (ctx) => {
    ctx.conn.forceClose();
    return Promise.resolve();
  }),
  cmd("KILLFAIL", (ctx) => {
    ctx.conn.forceClose();
    return Promise.reject(new GpgError("GENERAL"));
  }),
  cmd("SLOW", async (ctx) => {
    ctx.log.push("slow-start");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    ctx.log.push(ctx.signal.aborted ? "slow-aborted" : "slow-done");
    ctx.signal.throwIfAborted();
  }),
  cmd("WAIT", async (ctx) => {
    await new Promise((r) => setTimeout(r, 30));
    ctx.log.push("wait-done");
  }),
];

function start(extra: Partial<ServerOptions<Ctx>> = {}) {
  const log: string[] = [];
  const server = new AssuanServer<Ctx>({
    hello: HELLO,
    commands: COMMANDS,
    createSession(conn): Session<Ctx> {
      return {
        context: (signal) => ({ conn, signal, log }),
        option(key, value) {
          if (key === "event-signal" && !/^[0-9]+$/.test(value)) {
            throw new GpgError("ASS_PARAMETER");
          }
          log.push(`option ${key}=${value}`);
        },
        reset(args) {
          if (args === "--fail") throw new GpgError("LOCKED");
          log.push(`reset ${args}`);
        },
        close(end) {
          log.push(`close ${end.reason}`);
        },
      };
    },
    ...extra,
  });
  const client = new TestClient();
  const ended = server.serve(client.server);
  return { server, client, ended, log };
}

Deno.test("AssuanServer greets, answers NOP and closes on BYE", async () => {
  const { client, ended, log } = start();
  assertEquals(await client.line(), `OK ${HELLO}`);
  assertEquals(await client.transact("NOP"), ["OK"]);
  assertEquals(await client.transact("BYE"), ["OK closing connection"]);
  assertEquals(await ended, { reason: "bye" });
  assertEquals(await client.drain(), []);
  assertEquals(log, ["close bye"]);
});

Deno.test("AssuanServer dispatches exact then case-insensitive names", async () => {
  const { client, ended } = start();
  await client.line();
  assertEquals(await client.transact("GETINFO version"), ["D 2.2.40", "OK"]);
  assertEquals(await client.transact("getinfo version"), ["D 2.2.40", "OK"]);
  assertEquals(await client.transact("GETINFO nope"), [
    "ERR 100663576 IPC parameter error <SCD> - unknown value for WHAT",
  ]);
  assertEquals(await client.transact("KEYINFO x"), ["ERR 100663571 Unknown IPC command <SCD>"]);
  await client.close();
  assertEquals(await ended, { reason: "eof" });
});

Deno.test("AssuanServer answers malformed input with ERR and keeps serving", async () => {
  const { client, ended } = start();
  await client.line();
  await client.send("  NOP", "", "# comment", "D abc", "END", "CANCEL", "AUTH", "CAN", "NOP");
  const replies = [];
  for (let i = 0; i < 7; i++) replies.push(...(await client.reply()));
  assertEquals(replies, [
    "ERR 100663572 IPC syntax error <SCD> - leading white-space",
    "ERR 100663365 Not implemented <SCD>",
    "ERR 100663365 Not implemented <SCD>",
    "ERR 100663365 Not implemented <SCD>",
    "ERR 100663365 Not implemented <SCD>",
    "ERR 100663571 Unknown IPC command <SCD>",
    "OK",
  ]);
  await client.close();
  await ended;
});

Deno.test("AssuanServer HELP lists commands like libassuan and shows help text", async () => {
  const { client, ended } = start();
  await client.line();
  const list = await client.transact("HELP");
  assertEquals(list.slice(0, 11), [
    "# NOP",
    "# CANCEL",
    "# OPTION",
    "# BYE",
    "# AUTH",
    "# RESET",
    "# END",
    "# HELP",
    "# GETINFO <what>",
    "# INPUT",
    "# FAIL",
  ]);
  assertEquals(list.at(-1), "OK");
  assertEquals(await client.transact("help getinfo"), [
    "# GETINFO <what>",
    "# ",
    "# Multi purpose command.",
    "OK",
  ]);
  assertEquals(await client.transact("HELP NOP"), ["ERR 100663323 Not found <SCD>"]);
  assertEquals(await client.transact("HELP nosuch"), ["ERR 100663471 Unknown command <SCD>"]);
  await client.close();
  await ended;
});

Deno.test("AssuanServer OPTION parses like libassuan and calls the hook", async () => {
  const { client, ended, log } = start();
  await client.line();
  const cases: [string, string][] = [
    ["OPTION", "ERR 100663572 IPC syntax error <SCD> - argument required"],
    ["OPTION =x", "ERR 100663572 IPC syntax error <SCD> - no option name given"],
    ["OPTION -x", "ERR 100663572 IPC syntax error <SCD> - option should not begin with one dash"],
    ["OPTION --foo = bar ", "OK"],
    ["OPTION event-signal=", "ERR 100663572 IPC syntax error <SCD> - option argument expected"],
    ["OPTION event-signal=x", "ERR 100663576 IPC parameter error <SCD>"],
    ["OPTION event-signal=12", "OK"],
    ["OPTION key value", "OK"],
  ];
  for (const [line, reply] of cases) assertEquals(await client.transact(line), [reply], line);
  assertEquals(log, ["option foo=bar", "option event-signal=12", "option key=value"]);
  await client.close();
  await ended;
});

Deno.test("AssuanServer RESET calls the hook and reports its error", async () => {
  const { client, ended, log } = start();
  await client.line();
  assertEquals(await client.transact("RESET --keep-lock"), ["OK"]);
  assertEquals(await client.transact("RESET --fail"), ["ERR 100663469 Locked <SCD>"]);
  assertEquals(log, ["reset --keep-lock"]);
  await client.close();
  await ended;
});

Deno.test("AssuanServer maps other exceptions to General error", async () => {
  const { client, ended } = start();
  await client.line();
  assertEquals(await client.transact("FAIL"), ["ERR 100663297 General error <SCD>"]);
  assertEquals(await client.transact("NOP"), ["OK"]);
  await client.close();
  await ended;
});

Deno.test("AssuanServer sends data lines before the ERR of a failing command", async () => {
  const { client, ended } = start();
  await client.line();
  const reply = await client.transact("BIGDATA");
  assertEquals(reply.map((l) => l.length), [998, 998, 2 + 2000 - 2 * 996, 30]);
  assertEquals(reply.at(-1), "ERR 100663404 Card error <SCD>");
  await client.close();
  await ended;
});

Deno.test("AssuanServer status lines: escaped, raw, and LF refused", async () => {
  const { client, ended } = start();
  await client.line();
  assertEquals(await client.transact("STATUS"), [
    "S DISP-NAME Doe<<John+Q",
    "S SERIALNO D2760001240103040006123456780000",
    "OK",
  ]);
  await client.close();
  await ended;
});

Deno.test("AssuanServer INPUT accepts FD=n and rejects other forms", async () => {
  const { client, ended } = start();
  await client.line();
  assertEquals(await client.transact("INPUT FD=5"), ["OK"]);
  assertEquals(await client.transact("INPUT"), [
    "ERR 100663572 IPC syntax error <SCD> - FD[=<n>] expected",
  ]);
  assertEquals(await client.transact("INPUT FD= 5"), [
    "ERR 100663572 IPC syntax error <SCD> - number required",
  ]);
  assertEquals(await client.transact("INPUT FD"), [
    "ERR 100663365 Not implemented <SCD> - server does not support sending and receiving of file descriptors",
  ]);
  await client.close();
  await ended;
});

Deno.test("AssuanServer replies ERR to an over-long line and resyncs", async () => {
  const { client, ended } = start();
  await client.line();
  await client.send("NOP " + "a".repeat(997), "NOP " + "a".repeat(998), "NOP");
  assertEquals(await client.reply(), ["OK"]);
  assertEquals(await client.reply(), ["ERR 100663559 Line passed to IPC too long <SCD>"]);
  assertEquals(await client.reply(), ["OK"]);
  await client.close();
  await ended;
});

Deno.test("AssuanServer with lineTooLong close ends the session silently like stock", async () => {
  const { client, ended } = start({ lineTooLong: "close" });
  await client.line();
  await client.send("NOP " + "a".repeat(2000), "NOP");
  assertEquals(await ended, { reason: "line-too-long" });
  assertEquals(await client.drain(), []);
});

Deno.test("AssuanServer force close: OK closing connection, or ERR with the note", async () => {
  const a = start();
  await a.client.line();
  assertEquals(await a.client.transact("KILL"), ["OK closing connection"]);
  assertEquals(await a.ended, { reason: "force-close" });
  const b = start();
  await b.client.line();
  assertEquals(await b.client.transact("KILLFAIL"), [
    "ERR 100663297 General error <SCD> - [closing connection]",
  ]);
  assertEquals(await b.ended, { reason: "force-close" });
});

Deno.test("AssuanServer aborts a slow command when the client closes", async () => {
  const { client, ended, log } = start();
  await client.line();
  await client.send("SLOW");
  while (!log.includes("slow-start")) await new Promise((r) => setTimeout(r, 1));
  await client.close();
  const rest = client.drain();
  assertEquals(await ended, { reason: "eof" });
  assertEquals(log, ["slow-start", "slow-aborted", "close eof"]);
  // The reply goes to a peer that has left; it carries libassuan's EOF code.
  assertEquals(await rest, ["ERR 100679679 End of file <SCD> - peer closed the connection"]);
});

Deno.test("AssuanServer queues lines sent during a command and answers in order", async () => {
  const { client, ended, log } = start();
  await client.line();
  await client.send("WAIT", "GETINFO version", "NOP");
  assertEquals(await client.reply(), ["OK"]);
  assertEquals(await client.reply(), ["D 2.2.40", "OK"]);
  assertEquals(await client.reply(), ["OK"]);
  assertEquals(log, ["wait-done"]);
  await client.close();
  await ended;
});

Deno.test("AssuanServer runs commands already queued when input ends", async () => {
  const { client, ended } = start();
  await client.send("GETINFO version", "NOP");
  await client.close();
  assertEquals(await client.drain(), [`OK ${HELLO}`, "D 2.2.40", "OK", "OK"]);
  assertEquals(await ended, { reason: "eof" });
});

Deno.test("AssuanServer.serve() ends a session when its signal aborts", async () => {
  const server = new AssuanServer<Ctx>({
    commands: COMMANDS,
    createSession: (conn) => ({ context: (signal) => ({ conn, signal, log: [] }) }),
  });
  const client = new TestClient();
  const controller = new AbortController();
  const ended = server.serve(client.server, { signal: controller.signal });
  assertEquals(await client.line(), "OK Pleased to meet you");
  assertEquals(server.activeSessions, 1);
  controller.abort(new Error("shutdown"));
  assertEquals(await ended, { reason: "aborted" });
  assertEquals(server.activeSessions, 0);
  assertEquals(await client.drain(), []);
});
