/**
 * Seeded fuzzing of `scd-ts ssh-agent` (issue 22): malformed agent messages — truncated
 * bodies, length fields past the end or over the limit, unknown message numbers, mutated
 * valid requests — sent to the agent's real socket over the virtual card with an auth key.
 * Every case must get a well-formed reply frame in time (SSH_AGENT_FAILURE for anything
 * malformed; never a crash or hang), and the next client must still be served.
 * SCD_TS_FUZZ_SEED / SCD_TS_FUZZ_COUNT (default 10000) / SCD_TS_FUZZ_CASE as for the others.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { PinProvider } from "../../src/app/mod.ts";
import { sshString } from "../../src/formats/mod.ts";
import { listenAgent } from "../../src/ssh/mod.ts";
import { agentOver } from "../support/ssh_agent.ts";
import { fixedEd25519HostKey, sessionBindBody } from "../support/ssh_host_key.ts";
import { concat, uintBE } from "../../src/util/bytes.ts";
import { FuzzDaemon } from "./_daemon.ts";
import { fuzzSettings, prepareCard, REPLY_MS } from "./_setup.ts";
import { Prng } from "./prng.ts";

const MAX = 256 * 1024;

const BIND_HOST_KEY = fixedEd25519HostKey(new Uint8Array(32).fill(42));

/** A valid request of each kind the agent knows (the seeds mutations start from). */
function validRequests(blob: Uint8Array): Uint8Array[] {
  const s = (t: string | Uint8Array) => sshString(t);
  return [
    Uint8Array.of(11),
    concat(Uint8Array.of(13), s(blob), s("data"), uintBE(4, 4)),
    concat(Uint8Array.of(20), s(""), s("000000")),
    concat(Uint8Array.of(26), s("x"), s("1"), Uint8Array.of(1), uintBE(5, 4)),
    concat(Uint8Array.of(21), s("x"), s("")),
    Uint8Array.of(19),
    concat(Uint8Array.of(22), s("p")),
    concat(Uint8Array.of(23), s("p")),
    // a bind the agent verifies and accepts, so mutations reach the signature check
    sessionBindBody(BIND_HOST_KEY, new Uint8Array(32).fill(7), true),
    concat(Uint8Array.of(27), s("query")),
    concat(Uint8Array.of(17), s("ssh-ed25519"), s("pub"), s("priv"), s("c")),
  ];
}

/** One case: the bytes to write, and whether the frame is one the agent must refuse whole. */
function makeCase(prng: Prng, seeds: Uint8Array[]): { bytes: Uint8Array; oversize: boolean } {
  const frame = (body: Uint8Array) => concat(uintBE(body.length, 4), body);
  switch (prng.int(6)) {
    case 0: { // a valid request cut short (the frame says so: a truncated body)
      const body = prng.pick(seeds);
      return { bytes: frame(body.subarray(0, prng.int(body.length) + 1)), oversize: false };
    }
    case 1: { // flipped bytes in a valid request
      const body = prng.pick(seeds).slice();
      for (let i = prng.range(1, 4); i > 0; i--) body[prng.int(body.length)] = prng.int(256);
      return { bytes: frame(body), oversize: false };
    }
    case 2: { // an inner length field past the end
      const body = prng.pick(seeds).slice();
      if (body.length >= 5) body.set(uintBE(prng.range(body.length, 0xffffffff), 4), 1);
      return { bytes: frame(body), oversize: false };
    }
    case 3: // unknown message number with random payload
      return {
        bytes: frame(concat(Uint8Array.of(prng.range(28, 255)), prng.bytes(prng.int(64)))),
        oversize: false,
      };
    case 4: // random bytes
      return { bytes: frame(prng.bytes(prng.range(1, 300))), oversize: false };
    default: { // outer length: zero or over the limit
      const length = prng.chance(0.2) ? 0 : prng.range(MAX + 1, 0xffffffff);
      return { bytes: concat(uintBE(length, 4), prng.bytes(prng.int(32))), oversize: true };
    }
  }
}

/** Read one reply frame (or null on close / timeout). */
async function readFrame(conn: Deno.Conn): Promise<Uint8Array | null> {
  const read = async () => {
    let buf: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(4096);
    for (;;) {
      if (buf.length >= 4) {
        const n = new DataView(buf.buffer, buf.byteOffset).getUint32(0);
        if (buf.length >= 4 + n) return buf.subarray(4, 4 + n);
      }
      const got = await conn.read(chunk);
      if (got === null) return null;
      buf = concat(buf, chunk.subarray(0, got));
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"hang">((r) => timer = setTimeout(() => r("hang"), REPLY_MS));
  try {
    const r = await Promise.race([read(), timeout]);
    if (r === "hang") throw new Error("no reply in time (hang)");
    return r;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("fuzz: malformed ssh-agent messages get SSH_AGENT_FAILURE and leave the agent serving", async () => {
  const settings = fuzzSettings();
  const dir = await Deno.makeTempDir({ prefix: "scd-ts-sshfuzz-" });
  // the card every fuzzer starts from (keys in all three slots)
  const f = await FuzzDaemon.open((await prepareCard(dir)).statePath);
  const nobody: PinProvider = { get: () => Promise.reject(new Error("no pinentry in the fuzzer")) };
  const { agent } = agentOver(f.daemon.cards, nobody);
  const listener = await listenAgent(agent, `${dir}/agent.sock`);
  const failures: string[] = [];
  const counts = new Map<string, number>();
  try {
    const ids = await agent.identities();
    const seeds = validRequests(ids[0]!.key.blob);
    const first = settings.only ?? 0;
    const last = settings.only ?? settings.count - 1;
    for (let index = first; index <= last; index++) {
      const c = makeCase(Prng.forCase(settings.seed, index), seeds);
      if (settings.only !== undefined) {
        console.log(`case ${index}: ${Array.from(c.bytes).join(",")}`);
      }
      const conn = await Deno.connect({ transport: "unix", path: listener.path });
      try {
        await conn.write(c.bytes);
        const reply = await readFrame(conn);
        if (reply === null || reply.length === 0) throw new Error("no reply frame");
        const type = reply[0]!;
        counts.set(String(type), (counts.get(String(type)) ?? 0) + 1);
        if (c.oversize && (type !== 5 || reply.length !== 1)) {
          throw new Error(`oversize got ${type}`);
        }
        if (![5, 6, 12, 14].includes(type)) throw new Error(`reply type ${type}`);
        if (c.oversize && (await readFrame(conn)) !== null) {
          throw new Error("connection not closed");
        }
      } catch (e) {
        failures.push(`case ${index}: ${(e as Error).message}`);
      } finally {
        conn.close();
      }
      // the agent goes on serving: a fresh client lists the key (every 100 cases, and last)
      if (index % 100 === 99 || index === last) {
        const next = await Deno.connect({ transport: "unix", path: listener.path });
        await next.write(concat(uintBE(1, 4), Uint8Array.of(11)));
        const reply = await readFrame(next);
        next.close();
        if (reply?.[0] !== 12) failures.push(`after case ${index}: agent not serving`);
        if (agent.locked) {
          // a fuzzed LOCK may have locked it with a passphrase we know: the seed's "p"
          await agent.dispatch(
            { type: "unlock", passphrase: new TextEncoder().encode("p") },
            agent.connection(),
          );
        }
      }
    }
    console.log(
      `ssh-agent fuzz: ${last - first + 1} cases, seed ${settings.seed}, replies by type ${
        JSON.stringify(Object.fromEntries(counts))
      }, ${failures.length} failed`,
    );
    assertEquals(failures.slice(0, 10), []);
  } finally {
    agent.close();
    await listener[Symbol.asyncDispose]();
    await f.close();
    await Deno.remove(dir, { recursive: true });
  }
});
