/**
 * `scd-ts ssh-agent` with a PKCS#11 token: the agent asks each application for its
 * authentication key (`$AUTHKEYID`), so a SoftHSM2 token's key is listed beside the OpenPGP
 * cards and signs, its PIN asked once through the agent's pinentry and then cached; a token with
 * a PIN pad (the gcc-built stand-in of login_test.ts) is logged in without asking anyone, the
 * person told to use the pad (notify-send).
 * @module
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { p256 } from "@noble/curves/nist.js";
import { SshReader } from "../../src/formats/mod.ts";
import { agentOver, identities, sign } from "../support/ssh_agent.ts";
import { haveSoftHsm, SoftHsm, SOFTHSM_MODULE, TOKEN_PIN } from "../bed/softhsm.ts";
import { Daemon } from "./_daemon.ts";
import { buildC, haveGcc } from "../bed/gcc.ts";
import type { PinProvider, PinRequest } from "../../src/app/mod.ts";
import { toHex, utf8 } from "../../src/util/bytes.ts";

/** The pinentry stand-in: the token PIN once, and what it was asked. */
class Asked implements PinProvider {
  readonly requests: PinRequest[] = [];
  #answers = [TOKEN_PIN];
  get(request: PinRequest): Promise<Uint8Array> {
    this.requests.push(request);
    const pin = this.#answers.shift();
    return pin === undefined ? Promise.reject(new Error("cancelled")) : Promise.resolve(utf8(pin));
  }
}

Deno.test({
  name: "ssh-agent lists a PKCS#11 token's authentication key and signs with it",
  ignore: !haveSoftHsm(),
  async fn() {
    await using hsm = await SoftHsm.create();
    await hsm.initToken("ssh");
    await hsm.keypair("ssh", { id: "01", label: "ssh-p256", keyType: "EC:prime256v1" });
    Deno.env.set("SOFTHSM2_CONF", hsm.conf); // read by SoftHSM's C_Initialize
    await using daemon = await Daemon.start([SOFTHSM_MODULE]);
    const asked = new Asked();
    const { agent } = agentOver(daemon.cards, asked);
    const conn = agent.connection();
    const b = { request: (body: Uint8Array) => conn.handle(body) };
    try {
      // the virtual OpenPGP card beside it has no keys: only the token's key is listed
      const ids = await identities(b);
      assertEquals(ids.length, 1, JSON.stringify(ids.map((i) => i.comment)));
      const blob = new SshReader(ids[0]!.blob);
      assertEquals(blob.text(), "ecdsa-sha2-nistp256");
      assertEquals(blob.text(), "nistp256");
      const q = blob.string().slice();
      assert(ids[0]!.comment.startsWith("cardno:"), ids[0]!.comment);

      for (const data of [utf8("first login"), utf8("second login")]) {
        const signed = await sign(b, ids[0]!.blob, data);
        assert(signed !== undefined, "the agent refused to sign");
        assertEquals(signed.algorithm, "ecdsa-sha2-nistp256");
        const rs = new SshReader(signed.sig);
        const [r, s] = [rs.string(), rs.string()].map((m) => BigInt(`0x${toHex(m) || "0"}`));
        const sig = new p256.Signature(r!, s!).toBytes("compact");
        // the token does not normalise s (no low-S rule in ECDSA itself)
        assert(p256.verify(sig, data, q, { lowS: false }), "the signature does not verify");
      }
      // asked once (the token's prompt), then cached
      assertEquals(asked.requests.length, 1);
      assert(asked.requests[0]!.prompt.includes("PKCS#11 token"), asked.requests[0]!.prompt);
    } finally {
      agent.close();
    }
  },
});

/** Signs once with the single key the agent lists; the signature verifies. */
async function signsOnce(agent: { connection(): { handle(b: Uint8Array): Promise<Uint8Array> } }) {
  const conn = agent.connection();
  const b = { request: (body: Uint8Array) => conn.handle(body) };
  const [id] = await identities(b);
  assert(id, "no key listed");
  const blob = new SshReader(id.blob);
  blob.text();
  blob.text();
  const q = blob.string().slice();
  const data = utf8("login through a PIN pad");
  const signed = await sign(b, id.blob, data);
  assert(signed !== undefined, "the agent refused to sign");
  const rs = new SshReader(signed.sig);
  const [r, s] = [rs.string(), rs.string()].map((m) => BigInt(`0x${toHex(m) || "0"}`));
  const sig = new p256.Signature(r!, s!).toBytes("compact");
  assert(p256.verify(sig, data, q, { lowS: false }), "the signature does not verify");
}

Deno.test({
  name: "ssh-agent with a PIN pad token: no pinentry, the person told to use the pad",
  ignore: !haveSoftHsm() || !haveGcc(),
  sanitizeResources: false, // SoftHSM keeps files open until the process ends
  async fn() {
    await using hsm = await SoftHsm.create();
    await hsm.initToken("pad");
    await hsm.keypair("pad", { id: "01", label: "pad-p256", keyType: "EC:prime256v1" });
    const shim = await buildC(
      new URL("./testdata/shim_module.c", import.meta.url).pathname,
      `${hsm.dir}/libshim.so`,
      true,
    );
    const shown = `${hsm.dir}/shown`;
    const env = {
      SOFTHSM2_CONF: hsm.conf,
      SHIM_TARGET: SOFTHSM_MODULE,
      SHIM_LOG: `${hsm.dir}/logins`,
      SHIM_PINPAD: TOKEN_PIN, // what the person types on the pad
      SCD_TS_TEST_NOTIFY_FILE: shown,
    };
    for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
    try {
      await using daemon = await Daemon.start([shim]);
      const asked = new Asked();
      const notifySend = new URL("../support/notify_send_stub.sh", import.meta.url).pathname;
      const { agent } = agentOver(daemon.cards, asked, { notifySend });
      try {
        await signsOnce(agent);
      } finally {
        agent.close();
      }
      assertEquals(asked.requests.length, 0, "a pinentry was asked");
      assertEquals(
        (await Deno.readTextFile(env.SHIM_LOG)).trim().split("\n"),
        ["C_Login 1 null"],
      );
      assert((await Deno.readTextFile(shown)).includes("PIN pad"), "nobody was told");
    } finally {
      for (const k of Object.keys(env)) Deno.env.delete(k);
    }
  },
});
