/**
 * PKSIGN, PKAUTH, PKDECRYPT and SETDATA over Assuan against the real OpenPGP application and
 * the in-process virtual card, per algorithm: the signatures verify with the key READKEY
 * returns, decryption gives back what was encrypted to it, and the wire shape is stock's
 * (S PADDING 0 before the data, errors as stock words them).
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { constants, createHash, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { encodeDigestInfo, parsePublicKey, type PublicKey } from "../../src/formats/mod.ts";
import { toHex } from "../../src/util/bytes.ts";
import { genkey, keygripOf, run, scdErr, USER_PIN, withCard } from "./_scd_client.ts";
import type { Session } from "./_scd_fixture.ts";

const INV_VALUE = scdErr(55);
const ASS_PARAMETER = scdErr(280);
const NO_SECKEY = scdErr(17);

function sha(name: "sha256" | "sha384" | "sha512" | "sha1", data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(name).update(data).digest());
}

async function readKey(s: Session, n: 1 | 2 | 3): Promise<PublicKey> {
  const r = await run(s, `READKEY OPENPGP.${n}`);
  assertEquals(r.err, undefined, r.end);
  return parsePublicKey(r.data);
}

function rsaPublicKey(pk: PublicKey) {
  if (pk.type !== "rsa") throw new Error("not RSA");
  const b64u = (b: Uint8Array) =>
    btoa(String.fromCharCode(...b)).replaceAll("+", "-")
      .replaceAll("/", "_").replace(/=+$/, "");
  const n = pk.n[0] === 0 ? pk.n.subarray(1) : pk.n;
  return createPublicKey({ key: { kty: "RSA", n: b64u(n), e: b64u(pk.e) }, format: "jwk" });
}

const CURVES = { nistp256: p256, nistp384: p384, nistp521: p521 } as const;

Deno.test("SETDATA: stock's errors, --append up to 4096 bytes, --append without data replaces", async () => {
  await withCard(async (s) => {
    assertEquals(
      (await run(s, "SETDATA 12G4")).end,
      `ERR ${ASS_PARAMETER} IPC parameter error <SCD> - invalid hexstring`,
    );
    assertEquals(
      (await run(s, "SETDATA")).end,
      `ERR ${ASS_PARAMETER} IPC parameter error <SCD> - no data given`,
    );
    assertEquals(
      (await run(s, "SETDATA abc")).end,
      `ERR ${ASS_PARAMETER} IPC parameter error <SCD> - odd number of digits`,
    );
    const chunk = "AB".repeat(476);
    assertEquals((await run(s, `SETDATA ${chunk}`)).end, "OK");
    for (let total = 476; total + 476 <= 4096; total += 476) {
      assertEquals((await run(s, `SETDATA --append ${chunk}`)).end, "OK");
    }
    assertEquals(
      (await run(s, `SETDATA --append ${chunk}`)).end,
      `ERR ${scdErr(67)} Provided object is too large <SCD> - limit on total size of data reached`,
    );
  });
});

Deno.test("PKSIGN: hash option errors and missing data as stock", async () => {
  await withCard(async (s) => {
    assertEquals(
      (await run(s, "PKSIGN --hash=foo OPENPGP.1")).end,
      `ERR ${ASS_PARAMETER} IPC parameter error <SCD> - invalid hash algorithm`,
    );
    assertEquals((await run(s, "PKSIGN --foo OPENPGP.1")).err, ASS_PARAMETER);
    await genkey(s, 1, "ed25519");
    assertEquals((await run(s, "PKSIGN OPENPGP.1")).err, INV_VALUE);
    assertEquals((await run(s, `PKSIGN --hash=sha256 ${"AB".repeat(20)}`)).err, NO_SECKEY);
  });
});

for (
  const algo of ["rsa2048", "rsa3072", "rsa4096", "nistp256", "nistp384", "nistp521", "ed25519"]
) {
  Deno.test(`PKSIGN with ${algo}: every --hash gpg uses gives a signature that verifies`, async () => {
    await withCard(async (s) => {
      await genkey(s, 1, algo);
      const pk = await readKey(s, 1);
      const grip = await keygripOf(s, 1);
      let first = true;
      for (const hash of ["sha1", "sha256", "sha384", "sha512"] as const) {
        const digest = sha(hash, randomBytes(50));
        await run(s, `SETDATA ${toHex(encodeDigestInfo(hash, digest))}`);
        const r = await run(s, `PKSIGN --hash=${hash} ${grip}`, { NEEDPIN: [USER_PIN] });
        assertEquals(r.err, undefined, `${hash}: ${r.end}`);
        // one PIN prompt for the connection, then the PIN cache answers
        assertEquals(r.inquiries.length, first ? 1 : 0, `${hash}: ${r.inquiries}`);
        first = false;
        const sig = r.data;
        if (pk.type === "rsa") {
          assert(verifyRsaRaw(pk, encodeDigestInfo(hash, digest), sig), `${algo} ${hash}`);
        } else if (algo === "ed25519") {
          assertEquals(
            ed25519.verify(sig, digest, pk.type === "ecc" ? pk.q.subarray(1) : sig),
            true,
          );
        } else {
          const curve = CURVES[algo as keyof typeof CURVES];
          const q = pk.type === "ecc" ? pk.q : new Uint8Array();
          assertEquals(
            curve.verify(sig, digest, q, { prehash: false, lowS: false }),
            true,
            `${algo} ${hash}`,
          );
        }
      }
    });
  });
}

/** RSA PKCS#1 v1.5 check by hand: s^e mod n = 00 01 FF… 00 ‖ DigestInfo. */
function verifyRsaRaw(pk: PublicKey, digestInfo: Uint8Array, sig: Uint8Array): boolean {
  if (pk.type !== "rsa") return false;
  const big = (b: Uint8Array) => BigInt("0x" + (toHex(b) || "0"));
  const n = big(pk.n);
  let e = big(pk.e), m = 1n, base = big(sig) % n;
  for (; e > 0n; e >>= 1n, base = base * base % n) if (e & 1n) m = m * base % n;
  const k = pk.n[0] === 0 ? pk.n.length - 1 : pk.n.length;
  const em = m.toString(16).padStart(k * 2, "0");
  const ps = "FF".repeat(k - 3 - digestInfo.length);
  return em.toUpperCase() === `0001${ps}00${toHex(digestInfo)}`;
}

Deno.test("PKSIGN with the auth key's grip goes to INTERNAL AUTHENTICATE (ssh via gpg-agent)", async () => {
  await withCard(async (s, f) => {
    await genkey(s, 3, "ed25519");
    const pk = await readKey(s, 3);
    const grip = await keygripOf(s, 3);
    const digest = sha("sha256", new Uint8Array([1, 2, 3]));
    await run(s, `SETDATA ${toHex(encodeDigestInfo("sha256", digest))}`);
    f.card.apduLog.reset();
    const r = await run(s, `PKSIGN --hash=sha256 ${grip}`, { NEEDPIN: [USER_PIN] });
    assertEquals(r.err, undefined, r.end);
    // stock's do_auth drops 15 bytes for Ed25519 (djb flag), whatever the input length
    const signed = encodeDigestInfo("sha256", digest).subarray(15);
    const q = pk.type === "ecc" ? pk.q.subarray(1) : signed;
    assertEquals(ed25519.verify(r.data, signed, q), true);
    const ins = f.card.apduLog.byIns();
    assertEquals(ins["88"]?.count, 1);
    assertEquals(ins["2A"], undefined);
  });
});

Deno.test("PKAUTH signs with OPENPGP.3 (RSA and NIST P-384)", async () => {
  await withCard(async (s) => {
    await genkey(s, 3, "rsa2048");
    const pk = await readKey(s, 3);
    const challenge = randomBytes(36);
    await run(s, `SETDATA ${toHex(challenge)}`);
    const r = await run(s, "PKAUTH OPENPGP.3", { NEEDPIN: [USER_PIN] });
    assertEquals(r.err, undefined, r.end);
    assert(verifyRsaRaw(pk, challenge, r.data));

    await genkey(s, 3, "nistp384");
    const ec = await readKey(s, 3);
    const digest = sha("sha384", challenge);
    await run(s, `SETDATA ${toHex(encodeDigestInfo("sha384", digest))}`);
    const grip = await keygripOf(s, 3);
    const e = await run(s, `PKAUTH ${grip}`, { NEEDPIN: [USER_PIN] });
    assertEquals(e.err, undefined, e.end);
    assertEquals(
      p384.verify(e.data, digest, ec.type === "ecc" ? ec.q : e.data, {
        prehash: false,
        lowS: false,
      }),
      true,
    );
    assertEquals((await run(s, `PKAUTH ${"CD".repeat(20)}`)).err, scdErr(124));
  });
});

Deno.test("PKAUTH --challenge-response (2.4) checks the card's answer and sends no data", async () => {
  await withCard(async (s) => {
    await genkey(s, 3, "ed25519");
    await run(s, "SETDATA 00112233");
    const r = await run(s, "PKAUTH --challenge-response OPENPGP.3", { NEEDPIN: [USER_PIN] });
    assertEquals([r.err, r.data.length], [undefined, 0]);
  });
});

Deno.test("PKDECRYPT with RSA-2048 and RSA-4096: S PADDING 0, then the session key", async () => {
  for (const algo of ["rsa2048", "rsa4096"]) {
    await withCard(async (s) => {
      await genkey(s, 2, algo);
      const pk = await readKey(s, 2);
      const secret = randomBytes(35);
      const ct = new Uint8Array(
        publicEncrypt({ key: rsaPublicKey(pk), padding: constants.RSA_PKCS1_PADDING }, secret),
      );
      // gpg-agent's chunking: SETDATA then SETDATA --append
      const hex = toHex(ct);
      await run(s, `SETDATA ${hex.slice(0, 400)}`);
      for (let i = 400; i < hex.length; i += 400) {
        await run(s, `SETDATA --append ${hex.slice(i, i + 400)}`);
      }
      const r = await run(s, `PKDECRYPT ${await keygripOf(s, 2)}`, { NEEDPIN: [USER_PIN] });
      assertEquals(r.err, undefined, r.end);
      assertEquals(r.lines.slice(-3, -1), ["S PADDING 0", `D <${secret.length} bytes>`]);
      assertEquals(toHex(r.data), toHex(secret));
    });
  }
});

Deno.test("PKDECRYPT with ECDH: cv25519 gets 40‖X, NIST curves 04‖X‖Y shared points", async () => {
  await withCard(async (s) => {
    await genkey(s, 2, "cv25519");
    const pk = await readKey(s, 2);
    const eph = x25519.utils.randomSecretKey();
    const ephPub = x25519.getPublicKey(eph);
    await run(s, `SETDATA 40${toHex(ephPub)}`);
    const r = await run(s, "PKDECRYPT OPENPGP.2", { NEEDPIN: [USER_PIN] });
    assertEquals(r.err, undefined, r.end);
    const shared = x25519.getSharedSecret(eph, pk.type === "ecc" ? pk.q.subarray(1) : ephPub);
    assertEquals(toHex(r.data), "40" + toHex(shared));
    assertEquals(r.status, ["PADDING 0"]);
  });
  for (const algo of ["nistp256", "nistp384", "nistp521"] as const) {
    await withCard(async (s) => {
      await genkey(s, 2, algo);
      const pk = await readKey(s, 2);
      const curve = CURVES[algo];
      const eph = curve.utils.randomSecretKey();
      await run(s, `SETDATA ${toHex(curve.getPublicKey(eph, false))}`);
      const r = await run(s, "PKDECRYPT OPENPGP.2", { NEEDPIN: [USER_PIN] });
      assertEquals(r.err, undefined, `${algo}: ${r.end}`);
      const shared = curve.getSharedSecret(eph, pk.type === "ecc" ? pk.q : eph, false);
      // the card answers the full point (04‖X‖Y) or X alone (then 41‖X): gpg takes X
      const x = toHex(shared.subarray(1, 1 + (shared.length - 1) / 2));
      assert(
        toHex(r.data) === toHex(shared) || toHex(r.data) === "41" + x,
        `${algo}: ${toHex(r.data)}`,
      );
    });
  }
});

Deno.test("PKDECRYPT without SETDATA is INV_VALUE; an unknown keygrip is NO_SECKEY", async () => {
  await withCard(async (s) => {
    await genkey(s, 2, "cv25519");
    assertEquals((await run(s, "PKDECRYPT OPENPGP.2")).err, INV_VALUE);
    await run(s, `SETDATA 40${"11".repeat(32)}`);
    assertEquals((await run(s, `PKDECRYPT ${"EF".repeat(20)}`)).err, NO_SECKEY);
  });
});

Deno.test("READKEY --format=ssh (2.4): OpenSSH line as stock; Curve25519 has none; unknown grip NO_SECKEY", async () => {
  await withCard(async (s) => {
    await genkey(s, 3, "ed25519");
    await genkey(s, 2, "cv25519");
    const pk = await readKey(s, 3);
    const r = await run(s, "READKEY --format=ssh OPENPGP.3");
    const [type, b64, comment] = new TextDecoder().decode(r.data).split(" ");
    assertEquals([type, comment], ["ssh-ed25519", "(none)"]);
    const blob = Uint8Array.from(atob(b64!), (c) => c.charCodeAt(0));
    assertEquals(toHex(blob.subarray(-32)), toHex(pk.type === "ecc" ? pk.q.subarray(1) : blob));
    assertEquals((await run(s, "READKEY --format=ssh OPENPGP.2")).err, scdErr(188));
    const info = await run(s, "READKEY --format=ssh --info-only OPENPGP.3");
    assertEquals([info.data.length, info.status[0]?.split(" ")[2]], [0, "OPENPGP.3"]);
    assertEquals((await run(s, `READKEY ${"AB".repeat(20)}`)).err, NO_SECKEY);
  });
});

Deno.test("PKSIGN, PKAUTH, PKDECRYPT without a key id are INV_VALUE (do_sign/do_auth/do_decipher)", async () => {
  await withCard(async (s) => {
    await run(s, "SETDATA 00112233445566778899AABBCCDDEEFF0011223344556677");
    for (const cmd of ["PKSIGN", "PKAUTH", "PKDECRYPT"]) {
      assertEquals((await run(s, cmd)).err, INV_VALUE, cmd);
    }
  });
});

Deno.test("PKSIGN --hash=rmd160 and sha224 sign with RSA; md5 is refused (INV_VALUE) as stock", async () => {
  await withCard(async (s) => {
    await genkey(s, 1, "rsa2048");
    const pk = await readKey(s, 1);
    for (const [hash, len] of [["rmd160", 20], ["sha224", 28]] as const) {
      const info = encodeDigestInfo(hash, randomBytes(len));
      await run(s, `SETDATA ${toHex(info)}`);
      const r = await run(s, `PKSIGN --hash=${hash} OPENPGP.1`, { NEEDPIN: [USER_PIN] });
      assertEquals(r.err, undefined, `${hash}: ${r.end}`);
      assert(verifyRsaRaw(pk, info, r.data), hash);
    }
    await run(s, `SETDATA ${toHex(encodeDigestInfo("md5", randomBytes(16)))}`);
    assertEquals((await run(s, "PKSIGN --hash=md5 OPENPGP.1")).err, INV_VALUE);
  });
});
