/**
 * X25519 (Curve25519 ECDH) keys for PKDECRYPT on a real SoftHSM2 token. pkcs11-tool 0.23 cannot
 * make one there, so tests/pkcs11/testdata/x25519_keygen.c (built with gcc) generates it the way
 * SoftHSM2 2.6 offers: CKK_EC_EDWARDS with the curve25519 parameters. LEARN lists it for
 * decryption only (cv25519), READKEY gives gpg's form (Curve25519, djb-tweak, 0x40 ‖ u), and
 * PKDECRYPT returns 0x40 ‖ the shared secret node:crypto computes from the public key.
 * Ignored (and reported) without SoftHSM2 or gcc.
 * @module
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createPublicKey, diffieHellman, generateKeyPairSync } from "node:crypto";
import { Buffer } from "node:buffer";
import { Pkcs11Module } from "../../ffi/mod.ts";
import { keygripHex, parsePublicKey } from "../../src/formats/mod.ts";
import { tokenSerial } from "../../src/pkcs11/mod.ts";
import { haveGcc } from "../bed/gcc.ts";
import { haveSoftHsm, SoftHsm, SOFTHSM_MODULE, TOKEN_PIN, x25519Keypair } from "../bed/softhsm.ts";
import { run } from "./_client.ts";
import { Daemon } from "./_daemon.ts";

const ignore = !haveSoftHsm() || !haveGcc();
if (ignore) console.error("x25519_test: needs SoftHSM2 and gcc");

Deno.test({
  name: "an X25519 key on SoftHSM2 decrypts (ECDH) like a card's cv25519 key",
  ignore,
  sanitizeResources: false, // SoftHSM keeps files open until the process ends
  async fn() {
    await using hsm = await SoftHsm.create();
    await hsm.initToken("x25519");
    await x25519Keypair(hsm, { id: "07", label: "cv25519" });
    Deno.env.set("SOFTHSM2_CONF", hsm.conf);
    await using daemon = await Daemon.start([SOFTHSM_MODULE]);
    const s = await daemon.connect();
    try {
      const module = await Pkcs11Module.load(SOFTHSM_MODULE); // the daemon's, shared
      const [slot] = await module.slots();
      await run(s, `SERIALNO --demand=${tokenSerial(await module.tokenInfo(slot!))}`);
      const learn = await run(s, "LEARN --force");
      const line = learn.status.find((l) => l.startsWith("KEYPAIRINFO ") && l.includes(" P11.07"));
      assert(line, learn.status.join("\n"));
      const grip = line.split(" ")[1]!;

      const read = await run(s, `READKEY --info ${grip}`);
      assertEquals(read.status, [`KEYPAIRINFO ${grip} P11.07 e 0 cv25519`]);
      const pk = parsePublicKey(read.data);
      assert(pk.type === "ecc" && pk.curve.name === "Curve25519", JSON.stringify(pk));
      assertEquals(pk.flags, "djb-tweak");
      assertEquals([pk.q.length, pk.q[0]], [33, 0x40]);
      assertEquals(keygripHex(pk), grip);

      const tokenKey = createPublicKey({
        key: { kty: "OKP", crv: "X25519", x: Buffer.from(pk.q.subarray(1)).toString("base64url") },
        format: "jwk",
      });
      const ephemeral = generateKeyPairSync("x25519");
      const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: tokenKey });
      const raw = ephemeral.publicKey.export({ format: "jwk" }).x!;
      const point = new Uint8Array([0x40, ...Buffer.from(raw, "base64url")]);
      await run(s, `SETDATA ${Buffer.from(point).toString("hex")}`);
      const dec = await run(s, `PKDECRYPT ${grip}`, [TOKEN_PIN]);
      assertEquals(dec.end, "OK");
      assertEquals(dec.data, new Uint8Array([0x40, ...shared]));
    } finally {
      await s.close();
    }
  },
});
