/**
 * scd-ts as a process (main.ts), the way gpg-agent runs it: argv, greeting on the pipe, the
 * S.scdaemon socket of `--multi-server`, and stock's lifetime rules (scdaemon-protocol.md
 * §1.1): pipe EOF stops accepting but lets socket sessions finish, KILLSCD ends the process,
 * unknown options only warn. The card is the in-process virtual one (SCD_TS_READER=virtual:…),
 * so no pcscd is involved. Runs for SCD_E2E_DAEMON=scd-ts.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { SOCKET_NAME, socketDir } from "../../src/scd/mod.ts";
import { exists, Lines, USER_PIN } from "../support/fixtures.ts";
import { DAEMON } from "./_fixture.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const ignore = DAEMON !== "scd-ts";

/** An Assuan client on a writable + readable pair (child stdio or a socket). */
class Client {
  readonly lines: Lines;
  #writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>) {
    this.lines = new Lines(readable);
    this.#writer = writable.getWriter();
  }

  async send(line: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  async transact(line: string): Promise<string[]> {
    await this.send(line);
    return await this.lines.reply();
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }
}

interface Daemon {
  child: Deno.ChildProcess;
  pipe: Client;
  home: string;
  log: string;
}

async function startDaemon(args: string[], env: Record<string, string> = {}): Promise<Daemon> {
  const home = await Deno.makeTempDir({ prefix: "scd-ts-proc-" });
  const log = `${home}/scd-ts.log`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args, "--homedir", home],
    env: { SCD_TS_READER: `virtual:${home}/card.json`, SCD_TS_LOG: log, ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: Deno.env.get("SCD_E2E_VERBOSE") === "1" ? "inherit" : "null",
  }).spawn();
  const pipe = new Client(child.stdout, child.stdin);
  const hello = await pipe.lines.next();
  assertEquals(hello, "OK GNU Privacy Guard's Smartcard server ready");
  return { child, pipe, home, log };
}

async function connectSocket(path: string): Promise<{ client: Client; conn: Deno.UnixConn }> {
  const conn = await Deno.connect({ transport: "unix", path });
  const client = new Client(conn.readable, conn.writable);
  // on its socket stock greets with its pid (docs/multi-card.md)
  const hello = await client.lines.next();
  assert(/^OK GNU Privacy Guard's Smartcard server ready, process \d+$/.test(hello ?? ""), hello);
  return { client, conn };
}

Deno.test({
  name: "scd-ts --version and --help print and exit 0; no mode says to use --daemon",
  ignore,
  async fn() {
    const cases: [string, RegExp][] = [["--version", /^scd-ts \d/], ["--help", /--multi-server/]];
    for (const [arg, pattern] of cases) {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", MAIN, arg],
      })
        .output();
      assertEquals(r.code, 0);
      assertMatch(new TextDecoder().decode(r.stdout), pattern);
    }
    const none = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", "--quiet", MAIN] })
      .output();
    assertEquals(none.code, 0);
    assertMatch(new TextDecoder().decode(none.stderr), /please use the option '--daemon'/);
  },
});

Deno.test({
  name: "scd-ts --multi-server listens on S.scdaemon; after pipe EOF socket sessions finish",
  ignore,
  async fn() {
    const d = await startDaemon(["--multi-server", "--frobnicate", "--pcsc-shared"]);
    try {
      const expected = `${await socketDir(d.home, {
        env: (n) => Deno.env.get(n),
        uid: Deno.uid(),
      })}/${SOCKET_NAME}`;
      assertEquals(await d.pipe.transact("GETINFO socket_name"), [`D ${expected}`, "OK"]);
      assertEquals(((await Deno.stat(expected)).mode ?? 0) & 0o777, 0o600);
      assertEquals(await d.pipe.transact("OPTION event-signal=12"), ["OK"]);
      const { client, conn } = await connectSocket(expected);
      assertEquals(await client.transact("GETINFO connections"), ["D 2", "OK"]);
      assertMatch((await client.transact("SERIALNO"))[0]!, /^S SERIALNO D276000124010304/);
      // gpg-agent goes away: the pipe ends, the socket session goes on, nobody new gets in
      await d.pipe.close();
      let connections: string[] = [];
      let socketThere = true;
      // the daemon sees the EOF soon, not at once; the session count drops before the
      // listener's asynchronous close has removed the file
      for (let i = 0; i < 100; i++) {
        connections = await client.transact("GETINFO connections");
        socketThere = await exists(expected);
        if (connections[0] === "D 1" && !socketThere) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assertEquals(connections, ["D 1", "OK"]);
      assertEquals(socketThere, false);
      assertEquals(await client.transact("BYE"), ["OK closing connection"]);
      conn.close();
      const status = await d.child.status;
      assertEquals(status.code, 0);
      const log = await Deno.readTextFile(d.log);
      assertMatch(log, /Unknown option --frobnicate ignored/);
      assertMatch(log, /Options without effect in scd-ts: --pcsc-shared/);
    } finally {
      try {
        d.child.kill("SIGKILL");
      } catch { /* already gone */ }
      await d.child.status;
      await Deno.remove(d.home, { recursive: true });
    }
  },
});

Deno.test({
  name: "scd-ts: KILLSCD on the socket ends the process although the pipe is open",
  ignore,
  async fn() {
    const d = await startDaemon(["--multi-server"]);
    try {
      const path = (await d.pipe.transact("GETINFO socket_name"))[0]!.slice(2);
      const { client, conn } = await connectSocket(path);
      assertEquals(await client.transact("KILLSCD"), ["OK closing connection"]);
      conn.close();
      assertEquals((await d.child.status).code, 0);
      assert(!(await exists(path)), "socket removed");
    } finally {
      try {
        d.child.kill("SIGKILL");
      } catch { /* already gone */ }
      await d.child.status;
      await d.pipe.close();
      await Deno.remove(d.home, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "scd-ts --server has no socket, ends with its session and traces Assuan with the PIN redacted",
  ignore,
  async fn() {
    const trace = await Deno.makeTempFile();
    const d = await startDaemon(["--server"], { SCD_TS_TRACE: trace });
    try {
      assertEquals(await d.pipe.transact("GETINFO socket_name"), ["ERR 100663354 No data <SCD>"]);
      assertEquals(await d.pipe.transact("GETINFO version"), ["D 2.4.8", "OK"]);
      const serial = (await d.pipe.transact("SERIALNO"))[0]!.split(" ")[2]!;
      // The user PIN as gpg-agent sends it: the PIN, NUL padding, END. It must not be traced.
      assertEquals(
        (await d.pipe.transact(`CHECKPIN ${serial}`))[0]!.slice(0, 15),
        "INQUIRE NEEDPIN",
      );
      await d.pipe.send(`D ${USER_PIN}${"%00".repeat(84)}`);
      assertEquals(await d.pipe.transact("END"), ["OK"]);
      assertEquals(await d.pipe.transact("BYE"), ["OK closing connection"]);
      assertEquals((await d.child.status).code, 0);
      const text = await Deno.readTextFile(trace);
      const lines = text.trim().split("\n");
      assertEquals(lines.slice(0, 4), [
        "1 -> OK GNU Privacy Guard's Smartcard server ready",
        "1 <- GETINFO socket_name",
        "1 -> ERR 100663354 No data <SCD>",
        "1 <- GETINFO version",
      ]);
      assert(lines.includes("1 <- [redacted 260 bytes]"), text);
      assertEquals(text.includes(USER_PIN), false);
    } finally {
      await d.pipe.close();
      await Deno.remove(d.home, { recursive: true });
      await Deno.remove(trace);
    }
  },
});

Deno.test({
  name: "scd-ts: SIGTERM waits for the open pipe session, SIGINT exits at once",
  ignore,
  async fn() {
    const d = await startDaemon(["--multi-server"]);
    try {
      const path = (await d.pipe.transact("GETINFO socket_name"))[0]!.slice(2);
      d.child.kill("SIGTERM");
      // stock's shutdown_pending: no new connections, the pipe session still answers
      assertEquals(await d.pipe.transact("GETINFO version"), ["D 2.4.8", "OK"]);
      d.child.kill("SIGINT");
      assertEquals((await d.child.status).code, 0);
      assert(!(await exists(path)), "socket removed");
    } finally {
      try {
        d.child.kill("SIGKILL");
      } catch { /* already gone */ }
      await d.child.status;
      await d.pipe.close();
      await Deno.remove(d.home, { recursive: true });
    }
  },
});

Deno.test({
  name: "scd-ts --daemon prints SCDAEMON_INFO and serves the socket until KILLSCD",
  ignore,
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "scd-ts-proc-" });
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "--daemon", "--homedir", home],
      env: { SCD_TS_READER: `virtual:${home}/card.json`, SCD_TS_LOG: `${home}/log` },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const lines = new Lines(child.stdout);
      const info = await lines.next();
      const m = /^SCDAEMON_INFO=(.+):(\d+):1; export SCDAEMON_INFO;$/.exec(info ?? "");
      assert(m, `info line: ${info}`);
      lines.release();
      const { client, conn } = await connectSocket(m[1]!);
      assertEquals(await client.transact("GETINFO pid"), [`D ${m[2]}`, "OK"]);
      assertEquals(await client.transact("KILLSCD"), ["OK closing connection"]);
      conn.close();
      assertEquals((await child.status).code, 0);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await child.stdout.cancel().catch(() => {});
      await Deno.remove(home, { recursive: true });
    }
  },
});
