/**
 * GENKEY, PASSWD and the PIN status of a SoftHSM2 token through scd-ts, in process: a key
 * bound without `--force` answers the public key the token has; `--force` generates one of
 * every kind gpg-card offers (its KEY-DATA matches what LEARN then lists, and it signs);
 * the user PIN is changed and reset (the old PIN is refused afterwards, the cache forgets it);
 * LEARN and GETATTR send CHV-STATUS (SoftHSM never sets the PIN-counter flags, so the
 * flag cases are unit tests: src/pkcs11/pin_admin_test.ts). Its own token: the PIN changes
 * stay here.
 * @module
 */

import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { curveFromOid, keygripHex, parsePublicKey, type PublicKey } from "../../src/formats/mod.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import { Pkcs11Module } from "../../ffi/mod.ts";
import { tokenSerial } from "../../src/pkcs11/mod.ts";
import { haveSoftHsm, SO_PIN, SoftHsm, SOFTHSM_MODULE, TOKEN_PIN } from "../bed/softhsm.ts";
import { type Reply, run, scdErr } from "./_client.ts";
import { Daemon } from "./_daemon.ts";
import { ECDSA, signData, verifyDigestSignature } from "./_verify.ts";
import type { TestClient } from "../support/assuan_client.ts";

const GPG_ERR_BAD_PIN = 87;
const GPG_ERR_NO_OBJ = 68;
const GPG_ERR_PUBKEY_ALGO = 4;

/** The public key the KEY-DATA lines of a GENKEY answer carry (`-` chunks joined). */
function keyData(reply: Reply): PublicKey {
  const values = new Map<string, string>();
  let pending = "";
  for (const line of reply.status) {
    const m = /^KEY-DATA (\S+) ([0-9A-F]+)$/.exec(line);
    if (!m) continue;
    if (m[1] === "-") pending += m[2];
    else values.set(m[1]!, pending + m[2]), pending = "";
  }
  if (values.has("n")) {
    return { type: "rsa", n: fromHex(values.get("n")!), e: fromHex(values.get("e")!) };
  }
  const curveBytes = fromHex(values.get("curve")!);
  const curve = curveFromOid(curveBytes.subarray(1))!;
  const q = fromHex(values.get("q")!);
  return curve.name === "Ed25519"
    ? { type: "ecc", curve, q, flags: "eddsa" }
    : { type: "ecc", curve, q };
}

/** PKSIGN a fixed digest with `grip` and check it against `pk`. */
async function signs(s: TestClient, pk: PublicKey, grip: string, pins: string[]) {
  const digest = new Uint8Array(32).map((_, i) => i * 3);
  await run(s, `SETDATA ${toHex(signData(pk, digest))}`);
  const sig = await run(s, `PKSIGN --hash=sha256 ${grip}`, pins);
  return { reply: sig, ok: sig.err === undefined && verifyDigestSignature(pk, digest, sig.data) };
}

Deno.test({
  name: "GENKEY, PASSWD and CHV-STATUS on a SoftHSM2 token",
  ignore: !haveSoftHsm(),
  sanitizeResources: false, // SoftHSM keeps files open until the process ends
  async fn(t) {
    await using hsm = await SoftHsm.create();
    await hsm.initToken("admin");
    await hsm.keypair("admin", { id: "02", label: "p256", keyType: "EC:prime256v1" });
    Deno.env.set("SOFTHSM2_CONF", hsm.conf); // read by SoftHSM's C_Initialize
    await using daemon = await Daemon.start([SOFTHSM_MODULE]);
    const s = await daemon.connect();
    const module = await Pkcs11Module.load(SOFTHSM_MODULE); // already initialised: shared
    const infos = await Promise.all((await module.slots()).map((slot) => module.tokenInfo(slot)));
    const serial = tokenSerial(infos.find((i) => i.label === "admin")!);
    await run(s, `SERIALNO --demand=${serial}`);

    await t.step("LEARN and GETATTR tell the PINs' state (CHV-STATUS, CHV-LABEL)", async () => {
      const again = await run(s, "LEARN --force");
      assert(again.status.includes("CHV-STATUS -2 -2"), again.status.join("\n"));
      assert(again.status.includes("CHV-LABEL User_PIN SO_PIN"), again.status.join("\n"));
      const status = await run(s, "GETATTR CHV-STATUS");
      assertEquals(status.status, ["CHV-STATUS -2 -2"]);
      const attr = await run(s, "GETATTR KEY-ATTR");
      assert(attr.err !== undefined, "KEY-ATTR is not a token's (stock's app-p15 neither)");
    });

    await t.step("GENKEY without --force binds the existing key; no PIN", async () => {
      const read = parsePublicKey((await run(s, "READKEY P11.02")).data);
      const bound = await run(s, "GENKEY --timestamp=20260101T000000 P11.02");
      assertEquals(bound.end, "OK");
      assertEquals(bound.inquiries, []);
      assertEquals(bound.status[0], "KEY-CREATED-AT 1767225600");
      assertEquals(keyData(bound), read);
      const none = await run(s, "GENKEY P11.30");
      assertEquals(none.err, scdErr(GPG_ERR_NO_OBJ));
    });

    await t.step("GENKEY --force makes every algorithm gpg-card offers; each signs", async () => {
      let id = 0x30;
      for (const algo of ["nistp256", "nistp384", "nistp521", "ed25519", "rsa2048"]) {
        const ref = `P11.${(id++).toString(16).toUpperCase()}`;
        const made = await run(s, `GENKEY --force --algo=${algo} ${ref}`, [TOKEN_PIN]);
        assertEquals(made.end, "OK", `${algo}: ${made.end}`);
        assertMatch(made.status[0]!, /^KEY-CREATED-AT \d+$/);
        const pk = keyData(made);
        const grip = keygripHex(pk);
        const info = await run(s, `KEYINFO ${grip}`);
        assertEquals(info.status, [
          `KEYINFO ${grip} T ${serial} ${ref} ${algo === "ed25519" ? "sa" : "sae"}`,
        ]);
        const learned = await run(s, "LEARN --force");
        assert(
          learned.status.some((l) =>
            l.startsWith(`KEYPAIRINFO ${grip} ${ref} `) && l.endsWith(` ${algo}`)
          ),
          learned.status.join("\n"),
        );
        const sig = await signs(s, pk, grip, [TOKEN_PIN]);
        assert(sig.ok, `${algo}: ${sig.reply.end}`);
        if (pk.type === "ecc" && pk.flags !== "eddsa") {
          // CKA_DERIVE: the new key does ECDH (PKDECRYPT) too
          const ecdh = ECDSA[pk.curve.name]!;
          const secret = ecdh.utils.randomSecretKey();
          await run(s, `SETDATA ${toHex(ecdh.getPublicKey(secret, false))}`);
          const dec = await run(s, `PKDECRYPT ${grip}`, [TOKEN_PIN]);
          const x = ecdh.getSharedSecret(secret, pk.q, false).subarray(1, 1 + pk.curve.fieldBytes);
          assertEquals(dec.data, new Uint8Array([0x41, ...x]), algo);
        }
      }
      const bad = await run(s, "GENKEY --force --algo=cv25519 P11.3F", [TOKEN_PIN]);
      assertEquals(bad.err, scdErr(GPG_ERR_PUBKEY_ALGO));
      assertEquals(bad.inquiries, [], "refused before a PIN is asked");
    });

    await t.step("GENKEY --force replaces a key: the old grip is gone", async () => {
      const oldPk = parsePublicKey((await run(s, "READKEY P11.02")).data);
      const made = await run(s, "GENKEY --force P11.02", [TOKEN_PIN]); // type of the old key
      assertEquals(made.end, "OK");
      const pk = keyData(made);
      assert(pk.type === "ecc" && pk.curve.name === "NIST P-256");
      assert(toHex(pk.q) !== toHex((oldPk as typeof pk).q), "a new key");
      const list = await run(s, "KEYINFO --list");
      assert(!list.status.some((l) => l.includes(keygripHex(oldPk))), list.status.join("\n"));
      assertEquals(list.status.filter((l) => l.includes(" P11.02 ")).length, 1);
      assertEquals(parsePublicKey((await run(s, "READKEY P11.02")).data), pk);
    });

    const grip = keygripHex(parsePublicKey((await run(s, "READKEY P11.02")).data));
    const pk = parsePublicKey((await run(s, "READKEY P11.02")).data);
    const NEW_PIN = "654321";

    await t.step("PASSWD with a wrong old PIN fails with BAD_PIN; the PIN stays", async () => {
      const wrong = await run(s, "PASSWD P11.USER", ["999999", NEW_PIN]);
      assertEquals(wrong.err, scdErr(GPG_ERR_BAD_PIN));
      assertEquals(wrong.inquiries.length, 2);
      assertMatch(wrong.inquiries[0]!, /^NEEDPIN \|\|Please enter the PIN/);
      assertMatch(wrong.inquiries[1]!, /^NEEDPIN \|N\|Please enter the new PIN/);
      assert((await signs(s, pk, grip, [TOKEN_PIN])).ok);
    });

    await t.step(
      "PASSWD changes the user PIN; the old one is refused, the new one signs",
      async () => {
        const changed = await run(s, "PASSWD 1", [TOKEN_PIN, NEW_PIN]);
        assertEquals(changed.end, "OK");
        const old = await signs(s, pk, grip, [TOKEN_PIN]);
        assertEquals(old.reply.inquiries.length, 1, "the cached PIN was forgotten: asked again");
        assertEquals(old.reply.err, scdErr(GPG_ERR_BAD_PIN));
        assert((await signs(s, pk, grip, [NEW_PIN])).ok);
      },
    );

    await t.step("PASSWD --reset sets a new user PIN with the SO PIN", async () => {
      const wrongSo = await run(s, "PASSWD --reset P11.USER", ["87654321", "111111"]);
      assertEquals(wrongSo.err, scdErr(GPG_ERR_BAD_PIN));
      assertMatch(wrongSo.inquiries[0]!, /^NEEDPIN \|A\|Please enter the Security Officer PIN/);
      const reset = await run(s, "PASSWD --reset 1", [SO_PIN, "111111"]);
      assertEquals(reset.end, "OK");
      assertEquals((await signs(s, pk, grip, [NEW_PIN])).reply.err, scdErr(GPG_ERR_BAD_PIN));
      assert((await signs(s, pk, grip, ["111111"])).ok);
    });

    await t.step("PASSWD P11.SO changes the SO PIN", async () => {
      const changed = await run(s, "PASSWD P11.SO", [SO_PIN, "abcdefgh"]);
      assertEquals(changed.end, "OK");
      assertMatch(changed.inquiries[1]!, /^NEEDPIN \|AN\|Please enter the new Security Officer/);
      const old = await run(s, "PASSWD --reset 1", [SO_PIN, TOKEN_PIN]);
      assertEquals(old.err, scdErr(GPG_ERR_BAD_PIN));
      const reset = await run(s, "PASSWD --reset 1", ["abcdefgh", TOKEN_PIN]);
      assertEquals(reset.end, "OK");
    });

    await s.close();
    await module.close().catch(() => {});
  },
});
