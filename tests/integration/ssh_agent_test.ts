/**
 * `scd-ts ssh-agent` in process: the agent over the daemon's own registry, PIN cache and
 * OpenPGP application on the virtual card, driven with agent-protocol frames on a real Unix
 * socket. Signatures are checked with independent verifiers (node:crypto, @noble/curves)
 * against the key the agent listed; OpenSSH itself checks them in tests/e2e/ssh_agent_test.ts.
 */
import { Buffer } from "node:buffer";
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { createHash, createPublicKey, createVerify } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { SshReader, sshString } from "../../src/formats/mod.ts";
import { listenAgent, SshAgent } from "../../src/ssh/mod.ts";
import { concat, uintBE, utf8 } from "../../src/util/bytes.ts";
import { connect, run, USER_PIN } from "./_scd_client.ts";
import { addCard, FAILURE, identities, sign, SUCCESS, withAgent } from "./_ssh_agent_bed.ts";

const MESSAGE = utf8("ssh session data to sign");

Deno.test("ssh-agent lists the auth key as cardno:<serial> and signs ssh-rsa with each hash", async () => {
  await withAgent(async (b) => {
    const ids = await identities(b);
    assertEquals(ids.length, 1);
    const app = b.f.cards.cards[0]!.app!;
    assertEquals(ids[0]!.comment, `cardno:${app.displaySerialNo}`);
    const key = new SshReader(ids[0]!.blob);
    assertEquals(key.text(), "ssh-rsa");
    const e = key.string();
    const n = key.string();
    const b64u = (x: Uint8Array) =>
      Buffer.from(x[0] === 0 ? x.subarray(1) : x).toString("base64url");
    const pub = createPublicKey({ key: { kty: "RSA", n: b64u(n), e: b64u(e) }, format: "jwk" });
    b.asked.answers = [USER_PIN];
    for (
      const [flags, algorithm, hash] of [
        [4, "rsa-sha2-512", "sha512"],
        [2, "rsa-sha2-256", "sha256"],
        [0, "ssh-rsa", "sha1"],
      ] as const
    ) {
      const s = await sign(b, ids[0]!.blob, MESSAGE, flags);
      assertEquals(s?.algorithm, algorithm);
      assert(createVerify(hash).update(MESSAGE).verify(pub, s!.sig), algorithm);
    }
    // asked once; the next signatures came from the cache
    assertEquals(b.asked.requests.length, 1);
    assertEquals(b.asked.requests[0]!.chvNo, 2);
  });
});

for (
  const [algo, curve, hash] of [
    ["nistp256", p256, "sha256"],
    ["nistp384", p384, "sha384"],
    ["nistp521", p521, "sha512"],
  ] as const
) {
  Deno.test(`ssh-agent signs ecdsa-sha2-${algo} (r and s as mpints)`, async () => {
    await withAgent(async (b) => {
      const [id] = await identities(b);
      const key = new SshReader(id!.blob);
      assertEquals([key.text(), key.text()], [`ecdsa-sha2-${algo}`, algo]);
      const q = key.string();
      b.asked.answers = [USER_PIN];
      const s = await sign(b, id!.blob, MESSAGE);
      assertEquals(s?.algorithm, `ecdsa-sha2-${algo}`);
      const rs = new SshReader(s!.sig);
      const size = curve.Point.Fn.BYTES;
      const fixed = (x: Uint8Array) => {
        const v = x[0] === 0 ? x.subarray(1) : x;
        return concat(new Uint8Array(size - v.length), v);
      };
      const compact = concat(fixed(rs.string()), fixed(rs.string()));
      const digest = new Uint8Array(createHash(hash).update(MESSAGE).digest());
      assert(curve.verify(compact, digest, q, { prehash: false, lowS: false }));
    }, algo);
  });
}

Deno.test("ssh-agent signs ssh-ed25519 over the message itself", async () => {
  await withAgent(async (b) => {
    const [id] = await identities(b);
    const key = new SshReader(id!.blob);
    assertEquals(key.text(), "ssh-ed25519");
    const q = key.string();
    b.asked.answers = [USER_PIN];
    // 36 bytes: stock's do_auth reshaping would have cut this one (issue 22 note in agent.ts)
    for (const message of [MESSAGE, new Uint8Array(36).fill(7)]) {
      const s = await sign(b, id!.blob, message);
      assertEquals(s?.algorithm, "ssh-ed25519");
      assert(ed25519.verify(s!.sig, message, q));
    }
  }, "ed25519");
});

Deno.test("ssh-add -s: a wrong PIN spends one try and is not resent; the right one is cached", async () => {
  await withAgent(async (b) => {
    const app = b.f.cards.cards[0]!.app!;
    const tries = async () => {
      const s = await connect(b.f);
      const r = await run(s, "GETATTR CHV-STATUS");
      await s.close();
      return r.status[0]!.split("+").slice(-3)[0];
    };
    assertEquals(await tries(), "3");
    assertEquals(await b.request(addCard(app.serialNo, "999999")), FAILURE);
    assertEquals(await tries(), "2");
    assertEquals(b.cache.size, 0);
    // a signature now asks the pinentry: nothing wrong was cached, nothing resent
    b.asked.answers = [];
    const [id] = await identities(b);
    assertEquals(await sign(b, id!.blob, MESSAGE, 2), undefined);
    assertEquals(b.asked.requests.length, 1);
    assertEquals(await tries(), "2");

    assertEquals(await b.request(addCard(app.displaySerialNo, USER_PIN, 3600)), SUCCESS);
    assertEquals(await tries(), "3");
    assert((await sign(b, id!.blob, MESSAGE, 2)) !== undefined);
    assertEquals(b.asked.requests.length, 1, "the cached PIN answered");

    // ssh-add -e forgets it: the next signature asks again (and is cancelled here)
    assertEquals(
      await b.request(concat(Uint8Array.of(21), sshString(app.serialNo), sshString(""))),
      SUCCESS,
    );
    assertEquals(await sign(b, id!.blob, MESSAGE, 2), undefined);
    assertEquals(b.asked.requests.length, 2);
    assertEquals(await b.request(addCard("no-such-card", USER_PIN)), FAILURE);
  });
});

Deno.test("ssh-agent: locked it lists nothing and signs nothing; REMOVE_ALL drops PINs", async () => {
  await withAgent(async (b) => {
    const app = b.f.cards.cards[0]!.app!;
    const [id] = await identities(b);
    assertEquals(await b.request(addCard(app.serialNo, USER_PIN)), SUCCESS);
    assertEquals(await b.request(concat(Uint8Array.of(22), sshString("secret"))), SUCCESS);
    assertEquals(await b.request(concat(Uint8Array.of(22), sshString("again"))), FAILURE);
    assertEquals((await identities(b)).length, 0);
    assertEquals(await sign(b, id!.blob, MESSAGE), undefined);
    assertEquals(await b.request(concat(Uint8Array.of(23), sshString("wrong"))), FAILURE);
    assertEquals(await b.request(concat(Uint8Array.of(23), sshString("secret"))), SUCCESS);
    assert((await sign(b, id!.blob, MESSAGE)) !== undefined);
    assertEquals(b.asked.requests.length, 0);
    assertEquals(await b.request(Uint8Array.of(19)), SUCCESS);
    assertEquals(b.cache.size, 0);
  });
});

Deno.test("ssh-agent refuses software keys, unknown messages and extensions, an unverified session-bind", async () => {
  await withAgent(async (b) => {
    assertEquals(await b.request(concat(Uint8Array.of(17), sshString("ssh-ed25519"))), FAILURE);
    assertEquals(await b.request(Uint8Array.of(1)), FAILURE);
    assertEquals(await b.request(Uint8Array.of(200, 1, 2)), FAILURE);
    assertEquals(await b.request(concat(Uint8Array.of(27), sshString("query"))), FAILURE);
    const bind = concat(
      Uint8Array.of(27),
      sshString("session-bind@openssh.com"),
      sshString("hostkey"),
      sshString("sessionid"),
      sshString("sig"),
      Uint8Array.of(0),
    );
    // not a host key, not a signature (OpenSSH's ssh-agent verifies it too)
    assertEquals(await b.request(bind), FAILURE);
    // truncated: the sign request's data length runs past the end
    assertEquals(await b.request(concat(Uint8Array.of(13), uintBE(100, 4))), FAILURE);
  }, "none");
});

Deno.test("ssh-agent: an oversize length gets FAILURE and a closed connection; the next client is served", async () => {
  await withAgent(async (b) => {
    assertEquals(
      await b.raw(concat(uintBE(0x7fffffff, 4), Uint8Array.of(11))),
      concat(uintBE(1, 4), FAILURE),
    );
    assertEquals(await b.raw(uintBE(0, 4)), concat(uintBE(1, 4), FAILURE));
    // two requests in one write are answered in order
    const two = await b.raw(
      concat(uintBE(1, 4), Uint8Array.of(99), uintBE(1, 4), Uint8Array.of(11)),
    );
    assertEquals(two.subarray(0, 5), concat(uintBE(1, 4), FAILURE));
    assertEquals(two.subarray(5), concat(uintBE(5, 4), Uint8Array.of(12, 0, 0, 0, 0)));
  }, "none");
});

Deno.test("listenAgent() makes a 0700 directory and a 0600 socket, and refuses a live one", async () => {
  const base = await Deno.makeTempDir({ prefix: "scd-ts-ssh-" });
  const agent = new SshAgent({
    cards: { scan: () => Promise.resolve(), cards: [] },
    pins: {
      provider: () => ({ get: () => Promise.reject(), [Symbol.dispose]() {} }),
      drop() {},
      clear() {},
    },
  });
  const path = `${base}/scd-ts/agent.sock`;
  try {
    // the owner of a file we make (Deno.uid() would need --allow-sys)
    const uid = (await Deno.stat(base)).uid ?? undefined;
    await using first = await listenAgent(agent, path, {
      makeDir: true,
      ...(uid === undefined ? {} : { uid }),
    });
    assertEquals((await Deno.stat(`${base}/scd-ts`)).mode! & 0o777, 0o700);
    assertEquals((await Deno.stat(first.path)).mode! & 0o777, 0o600);
    await assertRejects(() => listenAgent(agent, path), /another agent is serving it/);
    if (uid !== undefined) {
      await assertRejects(
        () => listenAgent(agent, `${base}/x.sock`, { makeDir: true, uid: uid + 1 }),
        /owned by uid/,
      );
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
  // a stale socket file (nobody listening) is replaced
  const stale = await Deno.makeTempDir({ prefix: "scd-ts-ssh-" });
  try {
    Deno.listen({ transport: "unix", path: `${stale}/s` }).close();
    await using again = await listenAgent(agent, `${stale}/s`);
    assertEquals(again.path, `${stale}/s`);
  } finally {
    await Deno.remove(stale, { recursive: true });
  }
});

Deno.test("ssh-agent: UIF turned on after a first signature: the next one announces the touch and signs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "scd-ts-notify-" });
  // notify-send stand-in (deno task test allows running it): records its arguments
  const notifySend = new URL("../support/notify_send_stub.sh", import.meta.url).pathname;
  Deno.env.set("SCD_TS_TEST_NOTIFY_FILE", `${dir}/shown`);
  const shown = () => Deno.readTextFile(`${dir}/shown`).catch(() => "");
  try {
    await withAgent(
      async (b) => {
        b.asked.answers = [USER_PIN, USER_PIN];
        const [id] = await identities(b);
        const key = new SshReader(id!.blob);
        key.text();
        const pub = key.string();
        const first = await sign(b, id!.blob, MESSAGE);
        assert(first !== undefined && ed25519.verify(first.sig, MESSAGE, pub));
        assertEquals(await shown(), "");
        // another client turns touch on; the agent learns it from the card model, not a cache
        const s = await connect(b.f);
        const u = await run(s, "SETATTR UIF-3 %01+", { NEEDPIN: ["12345678"] });
        assertEquals(u.err, undefined, u.end);
        await s.close();
        const second = await sign(b, id!.blob, MESSAGE);
        assert(second !== undefined && ed25519.verify(second.sig, MESSAGE, pub));
        assertMatch(await shown(), /Touch your card.*waits for a touch/);
      },
      "ed25519",
      { notifySend },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
