/**
 * PIN safety under faults (issue 9 item 5), scd-ts only; tests/e2e/pin_policy_test.ts already
 * covers the log and the trace.
 * - a PIN the card rejects is never sent again: a cached PIN another program changed costs one
 *   VERIFY (card APDU log), a mistyped one too, and neither is cached;
 * - the PIN is absent from /proc/PID/cmdline and /proc/PID/environ of every process of the
 *   home (gpg-agent, scd-ts, pinentry) and from a V8 heap snapshot of scd-ts taken after the
 *   signature (strings only: a snapshot does not hold typed-array bytes, where the cache is);
 * - the multi-server socket is 0600 in a 0700 directory, and another uid cannot connect to it.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { pidsWithEnv } from "../../bed/procs.ts";
import { freePort } from "../../bed/vcard.ts";
import { cardTest, DAEMON, USER_PIN } from "../_fixture.ts";
import { assertGoodSignature, clearsign } from "../_workflows.ts";
import { cardWithKeys, client, getpins } from "./_faults.ts";
import { SELECT_OPENPGP } from "./_fault_client.ts";
import { verifies, withPin } from "./_inflight.ts";
import { heapSnapshot } from "./_heap.ts";

const NEW_PIN = "739164";
const hex = (s: string) =>
  [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0")).join("")
    .toUpperCase();
/** CHANGE REFERENCE DATA for PW1: another program changes the PIN behind scd-ts's back. */
const CHANGE_PIN = `002400810C${hex(USER_PIN)}${hex(NEW_PIN)}`;
const onlyScdTs = { ignore: DAEMON !== "scd-ts" };

cardTest(
  "a rejected PIN is sent once: a cached PIN changed by another program, a mistyped one",
  async (c) => {
    const keys = await cardWithKeys(c);
    await c.pins([{ pin: USER_PIN }]);
    await clearsign(c, keys.primary, "cached now\n");
    assertEquals((await client(c, "transmit", SELECT_OPENPGP, CHANGE_PIN)).sws, ["9000", "9000"]);
    await c.card.control({ cmd: "log-reset" });
    // the next signatures: the stale cached PIN once, then the person (a typo, then the new PIN)
    await c.pins([{ pin: "000000" }, { pin: NEW_PIN }, { pin: NEW_PIN }]);
    for (let i = 0; i < 3; i++) {
      const r = await c.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: `try ${i}\n` });
      if (r.code === 0) break;
    }
    const sent = withPin(await verifies(c.card)).map((v) => v.sw);
    // stale cached PIN: 63C2; the typo: 63C1; the new PIN: 9000 — each exactly once
    assertEquals(sent, ["63C2", "63C1", "9000"], JSON.stringify(await verifies(c.card)));
    assertEquals(await getpins(c), 2);
    // and now the new PIN is the cached one
    await c.pins([]);
    const signed = await clearsign(c, keys.primary, "cached again\n");
    await assertGoodSignature(c, [], keys.primary, signed);
  },
  onlyScdTs,
);

/** Every process of the home: its command line and environment. */
function processTexts(home: string): { pid: number; text: string }[] {
  return pidsWithEnv("GNUPGHOME", home).map((pid) => {
    const read = (f: string) => {
      try {
        return new TextDecoder().decode(Deno.readFileSync(`/proc/${pid}/${f}`));
      } catch {
        return "";
      }
    };
    return { pid, text: `${read("cmdline")}\n${read("environ")}` };
  });
}

cardTest("the PIN is in no process's argv or environment, nor in scd-ts's heap", async (c) => {
  const keys = await cardWithKeys(c);
  assertEquals((await client(c, "transmit", SELECT_OPENPGP, CHANGE_PIN)).sws, ["9000", "9000"]);
  const port = freePort();
  const wrapper = `${c.home.path}/scd-ts`;
  const text = await Deno.readTextFile(wrapper);
  await Deno.writeTextFile(
    wrapper,
    text.replace(" run -A ", ` run -A --inspect=127.0.0.1:${port} `),
  );
  await c.restartAgent();
  await c.pins([{ pin: NEW_PIN }]);
  await clearsign(c, keys.primary, "signed\n");
  assertEquals(await getpins(c), 1);
  const procs = processTexts(c.home.path);
  assert(procs.length >= 2, `processes of the home: ${procs.map((p) => p.pid)}`);
  for (const p of procs) {
    assert(!p.text.includes(NEW_PIN), `PIN in /proc/${p.pid}/cmdline or environ`);
    assert(!p.text.toUpperCase().includes(hex(NEW_PIN)), `PIN (hex) in /proc/${p.pid}`);
  }
  // only the snapshot's string table: its node and edge arrays are numbers like 739164
  const strings = (JSON.parse(await heapSnapshot(port)) as { strings: string[] }).strings;
  assert(strings.length > 1000, `heap snapshot with ${strings.length} strings`);
  const found = strings.filter((t) =>
    t.includes(NEW_PIN) || t.toUpperCase().includes(hex(NEW_PIN))
  );
  assertEquals(found.map((t) => t.slice(0, 200)), [], "the PIN is a string in scd-ts's heap");
}, onlyScdTs);

const OTHER_USER = "scdfaultprobe";

async function sh(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

cardTest(
  "the multi-server socket is 0600 in a 0700 directory; another uid cannot connect",
  async (c) => {
    assertEquals((await c.run("gpg-connect-agent", ["SCD SERIALNO", "/bye"])).code, 0);
    const dir = (await c.run("gpgconf", ["--list-dirs", "socketdir"])).stdout.trim();
    const socket = `${dir}/S.scdaemon`;
    const s = await Deno.stat(socket);
    assert(s.isSocket, `${socket} is not a socket`);
    assertEquals((s.mode! & 0o777).toString(8), "600");
    assertEquals(((await Deno.stat(dir)).mode! & 0o777).toString(8), "700");
    // the directory alone keeps others out; a hard link in a open directory tests the socket's
    // own mode (Deno has no SO_PEERCRED: scd-ts cannot check the peer's uid itself)
    const open = await Deno.makeTempDir({ prefix: "scd-ts-socket-probe-" });
    await Deno.chmod(open, 0o755);
    const created = (await sh("useradd", ["--system", "--no-create-home", OTHER_USER])).code === 0;
    try {
      await Deno.link(socket, `${open}/S`);
      const py =
        `import socket\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect("${open}/S")\n print("connected")\nexcept OSError as e:\n print("refused", e.errno)`;
      const r = await sh("runuser", ["-u", OTHER_USER, "--", "/usr/bin/python3", "-c", py]);
      assert(/^refused 13$/m.test(r.out), `another uid: ${r.out}`);
    } finally {
      await Deno.remove(open, { recursive: true });
      if (created) await sh("userdel", [OTHER_USER]);
    }
  },
  onlyScdTs,
);
