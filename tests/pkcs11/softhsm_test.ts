/**
 * PKCS#11 tokens through scd-ts, in process, on real SoftHSM2 tokens (tests/bed/softhsm.ts):
 * the FFI binding's errors, then the daemon's commands as gpg-agent sends them, beside the
 * virtual OpenPGP card (which must stay unaffected). Signatures are verified with node:crypto
 * against the public key READKEY returned; decryption against a cryptogram made from it.
 * @module
 */

import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { constants, publicEncrypt } from "node:crypto";
import { Pkcs11Module, Pkcs11ModuleError } from "../../ffi/mod.ts";
import { keygripHex, parsePublicKey } from "../../src/formats/mod.ts";
import { encodeDigestInfo } from "../../src/formats/mod.ts";
import { tokenSerial } from "../../src/pkcs11/mod.ts";
import { toHex } from "../../src/util/bytes.ts";
import { Daemon } from "./_daemon.ts";
import { ECDSA, keyObject, signData, verifyDigestSignature } from "./_verify.ts";
import { run, scdErr } from "./_client.ts";
import {
  CERT_KEY,
  haveSoftHsm,
  SoftHsm,
  SOFTHSM_MODULE,
  standardToken,
  TOKEN_KEYS,
  TOKEN_PIN,
} from "../bed/softhsm.ts";

const GPG_ERR_BAD_PIN = 87;

const ignore = !haveSoftHsm();

Deno.test({
  name: "Pkcs11Module.load() names the module when it is missing or not a PKCS#11 library",
  ignore,
  async fn() {
    await rejects(() => Pkcs11Module.load("/nonexistent/libnothing.so"), (e: Error) => {
      assert(e instanceof Pkcs11ModuleError);
      assertMatch(e.message, /Cannot load PKCS#11 module \/nonexistent\/libnothing\.so/);
      return true;
    });
    await rejects(() => Pkcs11Module.load("libc.so.6"), (e: Error) => {
      assert(e instanceof Pkcs11ModuleError);
      assertMatch(e.message, /libc\.so\.6.*C_GetFunctionList/);
      return true;
    });
  },
});

Deno.test({
  name: "scd-ts serves SoftHSM2 tokens beside the OpenPGP card",
  ignore,
  sanitizeResources: false, // SoftHSM keeps files open until the process ends
  async fn(t) {
    await using hsm = await SoftHsm.create();
    const certDer = await standardToken(hsm, "alpha");
    await hsm.initToken("beta");
    await hsm.keypair("beta", { id: "01", label: "beta-p256", keyType: "EC:prime256v1" });
    Deno.env.set("SOFTHSM2_CONF", hsm.conf); // read by SoftHSM's C_Initialize
    await using daemon = await Daemon.start(["/nonexistent/broken.so", SOFTHSM_MODULE]);
    const s = await daemon.connect();

    const module = await Pkcs11Module.load(SOFTHSM_MODULE); // already initialised: shared
    const infos = await Promise.all((await module.slots()).map((slot) => module.tokenInfo(slot)));
    const alpha = tokenSerial(infos.find((i) => i.label === "alpha")!);
    const beta = tokenSerial(infos.find((i) => i.label === "beta")!);

    await t.step("SERIALNO stays on the OpenPGP card; --demand picks a token", async () => {
      const card = await run(s, "SERIALNO");
      assertMatch(card.status[0]!, /^SERIALNO D276000124/);
      const token = await run(s, `SERIALNO --demand=${alpha}`);
      assertEquals(token.status, [`SERIALNO ${alpha}`]);
    });

    const grips = new Map<string, string>();
    await t.step("LEARN --force lists every key, certified or not", async () => {
      const learn = await run(s, "LEARN --force");
      assertEquals(learn.end, "OK");
      assert(learn.status.includes("APPTYPE p15"), learn.status.join("\n"));
      for (const key of [...TOKEN_KEYS, CERT_KEY]) {
        const line = learn.status.find((l) => l.includes(` P11.${key.id} `));
        assert(line, `no KEYPAIRINFO for ${key.label}:\n${learn.status.join("\n")}`);
        const [, grip, , , , algo] = line.split(" ");
        assertEquals(algo, key.algo);
        grips.set(key.label, grip!);
      }
      assert(learn.status.includes(`CERTINFO 100 P11.${CERT_KEY.id}`));
    });

    await t.step("KEYINFO --list covers both tokens (2.4 multi-card)", async () => {
      await run(s, `SERIALNO --demand=${beta}`);
      await run(s, "SERIALNO --all");
      const list = await run(s, "KEYINFO --list");
      assert(list.status.some((l) => l.includes(` T ${alpha} P11.01 `)), list.status.join("\n"));
      assert(list.status.some((l) => l.includes(` T ${beta} P11.01 `)), list.status.join("\n"));
      const one = await run(s, `KEYINFO ${grips.get("p384")}`);
      assertEquals(one.status, [`KEYINFO ${grips.get("p384")} T ${alpha} P11.03 sae`]);
    });

    await t.step("READKEY gives the key whose keygrip LEARN named", async () => {
      for (const [label, grip] of grips) {
        const key = await run(s, `READKEY ${grip}`);
        assertEquals(keygripHex(parsePublicKey(key.data)), grip, label);
      }
    });

    await t.step("a wrong PIN is asked once, sent once and fails with BAD_PIN", async () => {
      const digest = new Uint8Array(32).fill(7);
      await run(s, `SETDATA ${toHex(encodeDigestInfo("sha256", digest))}`);
      const wrong = await run(s, `PKSIGN --hash=sha256 ${grips.get("rsa2048")}`, [
        "999999",
        TOKEN_PIN,
      ]);
      assertEquals(wrong.err, scdErr(GPG_ERR_BAD_PIN));
      assertEquals(wrong.inquiries.filter((i) => i.startsWith("NEEDPIN")).length, 1);
    });

    await t.step("PKSIGN signs with RSA, ECDSA and EdDSA keys; the PIN is cached", async () => {
      const digest = new Uint8Array(32).map((_, i) => i);
      let asked = 0;
      for (const key of [...TOKEN_KEYS, CERT_KEY]) {
        const grip = grips.get(key.label)!;
        const pk = parsePublicKey((await run(s, `READKEY ${grip}`)).data);
        await run(s, `SETDATA ${toHex(signData(pk, digest))}`);
        const sig = await run(s, `PKSIGN --hash=sha256 ${grip}`, [TOKEN_PIN]);
        assertEquals(sig.end, "OK", `${key.label}: ${sig.end}`);
        asked += sig.inquiries.length;
        assert(verifyDigestSignature(pk, digest, sig.data), `${key.label}: no valid signature`);
      }
      assertEquals(asked, 1, "the PIN is asked for once, then taken from the cache");
    });

    await t.step("PKDECRYPT decrypts an RSA cryptogram (PADDING 0)", async () => {
      const grip = grips.get("rsa2048")!;
      const pk = parsePublicKey((await run(s, `READKEY ${grip}`)).data);
      const secret = new TextEncoder().encode("session key bytes");
      const ct = publicEncrypt(
        { key: keyObject(pk), padding: constants.RSA_PKCS1_PADDING },
        secret,
      );
      await run(s, `SETDATA ${ct.toString("hex")}`);
      const dec = await run(s, `PKDECRYPT ${grip}`, [TOKEN_PIN]);
      assertEquals(dec.end, "OK");
      assert(dec.status.includes("PADDING 0"));
      assertEquals(dec.data, secret);
    });

    await t.step("PKDECRYPT does ECDH on P-256, P-384, P-521 (0x41, x-coordinate)", async () => {
      for (const label of ["p256", "p384", "p521"]) {
        const grip = grips.get(label)!;
        const pk = parsePublicKey((await run(s, `READKEY ${grip}`)).data);
        assert(pk.type === "ecc");
        // noble, not node:crypto's createECDH: Deno's has no P-521
        const ecdh = ECDSA[pk.curve.name]!;
        const secret = ecdh.utils.randomSecretKey();
        const point = ecdh.getPublicKey(secret, false);
        const shared = ecdh.getSharedSecret(secret, pk.q, false).subarray(
          1,
          1 + pk.curve.fieldBytes,
        );
        await run(s, `SETDATA ${toHex(point)}`);
        const dec = await run(s, `PKDECRYPT ${grip}`, [TOKEN_PIN]);
        assertEquals(dec.end, "OK", `${label}: ${dec.end}`);
        assertEquals(dec.data, new Uint8Array([0x41, ...shared]), label);
      }
    });

    await t.step("READCERT returns the certificate stored with the key", async () => {
      const byGrip = await run(s, `READCERT ${grips.get(CERT_KEY.label)}`);
      assertEquals(byGrip.data, certDer);
      await run(s, `SERIALNO --demand=${alpha}`);
      const byId = await run(s, `READCERT P11.${CERT_KEY.id}`);
      assertEquals(byId.data, certDer);
    });

    await t.step("a module that fails to load leaves cards and other modules working", async () => {
      await using alone = await Daemon.start(["/nonexistent/broken.so"]);
      const s2 = await alone.connect();
      const card = await run(s2, "SERIALNO");
      assertMatch(card.status[0]!, /^SERIALNO D276000124/);
      const none = await run(s2, `SERIALNO --demand=${alpha}`);
      assert(none.err !== undefined);
      await s2.close();
    });

    await s.close();
    await module.close().catch(() => {});
  },
});
