/**
 * The login paths of a token operation, on a real SoftHSM2 token reached through a small
 * forwarding module built with gcc (tests/pkcs11/testdata/shim_module.c), which logs every
 * C_Login (user type and whether a PIN came, never the PIN) and can play a PIN pad reader:
 * - keys with CKA_ALWAYS_AUTHENTICATE (made by `pkcs11-tool --always-auth`; SoftHSM2 2.6
 *   enforces it, checked first) get C_Login(CKU_USER) and then C_Login(CKU_CONTEXT_SPECIFIC)
 *   with the one PIN asked for;
 * - a PIN pad token (CKF_PROTECTED_AUTHENTICATION_PATH, the shim's stand-in) gets C_Login
 *   with a NULL PIN between `INQUIRE POPUPPINPADPROMPT` and `INQUIRE DISMISSPINPADPROMPT`,
 *   and no NEEDPIN.
 * Ignored (and reported) without SoftHSM2 or gcc.
 * @module
 */

import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { constants, createPublicKey, publicEncrypt } from "node:crypto";
import { Buffer } from "node:buffer";
import { p256 } from "@noble/curves/nist.js";
import {
  CKA,
  CKO_PRIVATE_KEY,
  CKU_CONTEXT_SPECIFIC,
  CKU_USER,
  encodeUlong,
  Pkcs11Error,
  Pkcs11Module,
} from "../../ffi/mod.ts";
import { parsePublicKey } from "../../src/formats/mod.ts";
import { tokenSerial } from "../../src/pkcs11/mod.ts";
import { buildC, haveGcc } from "../bed/gcc.ts";
import { haveSoftHsm, SoftHsm, SOFTHSM_MODULE, TOKEN_PIN } from "../bed/softhsm.ts";
import { run, scdErr } from "./_client.ts";
import { Daemon } from "./_daemon.ts";

const SOURCE = new URL("./testdata/shim_module.c", import.meta.url).pathname;
const CKM_ECDSA = 0x1041;
const GPG_ERR_BAD_PIN = 87;

const ignore = !haveSoftHsm() || !haveGcc();
if (ignore) console.error("login_test: needs SoftHSM2 and gcc");

const KEYS = {
  always: { id: "01", label: "p256-always", keyType: "EC:prime256v1", alwaysAuth: true },
  alwaysRsa: { id: "02", label: "rsa-always", keyType: "rsa:2048", alwaysAuth: true },
  plain: { id: "03", label: "p256", keyType: "EC:prime256v1" },
} as const;

/** C_SignInit + C_Sign directly on SoftHSM2, with or without the context-specific login. */
async function directSign(conf: string, contextLogin: boolean): Promise<string> {
  Deno.env.set("SOFTHSM2_CONF", conf);
  const module = await Pkcs11Module.load(SOFTHSM_MODULE);
  try {
    const [slot] = await module.slots();
    const serial = tokenSerial(await module.tokenInfo(slot!));
    const session = await module.openSession(slot!);
    try {
      await module.login(session, CKU_USER, new TextEncoder().encode(TOKEN_PIN));
      const [key] = await module.findObjects(session, [
        { type: CKA.CKA_CLASS, value: encodeUlong(CKO_PRIVATE_KEY) },
        { type: CKA.CKA_ID, value: Uint8Array.of(1) },
      ]);
      const again = () =>
        module.login(session, CKU_CONTEXT_SPECIFIC, new TextEncoder().encode(TOKEN_PIN));
      await module.sign(
        session,
        key!,
        CKM_ECDSA,
        new Uint8Array(32),
        contextLogin ? again : undefined,
      );
    } finally {
      await module.closeSession(session);
    }
    return serial;
  } finally {
    await module.close();
  }
}

Deno.test({
  name: "token logins: CKA_ALWAYS_AUTHENTICATE keys and a PIN pad token",
  ignore,
  sanitizeResources: false, // SoftHSM keeps files open until the process ends
  async fn(t) {
    await using hsm = await SoftHsm.create();
    await hsm.initToken("login");
    for (const key of Object.values(KEYS)) await hsm.keypair("login", key);
    const shim = `${hsm.dir}/libshim.so`;
    await buildC(SOURCE, shim, true);

    let serial = "";
    await t.step("SoftHSM2 2.6 enforces CKA_ALWAYS_AUTHENTICATE", async () => {
      let rejected: unknown;
      await directSign(hsm.conf, false).catch((e) => rejected = e);
      assert(rejected instanceof Pkcs11Error, String(rejected));
      assertEquals(rejected.code, "CKR_USER_NOT_LOGGED_IN");
      serial = await directSign(hsm.conf, true);
    });

    const logins = `${hsm.dir}/logins`;
    Deno.env.set("SOFTHSM2_CONF", hsm.conf);
    Deno.env.set("SHIM_TARGET", SOFTHSM_MODULE);
    Deno.env.set("SHIM_LOG", logins);
    Deno.env.delete("SHIM_PINPAD");
    /** The C_Login lines since the last call. */
    const takeLogins = async () => {
      const text = await Deno.readTextFile(logins).catch(() => "");
      await Deno.writeTextFile(logins, "");
      return text.split("\n").filter((l) => l !== "");
    };
    try {
      await using daemon = await Daemon.start([shim]);
      const s = await daemon.connect();
      try {
        await run(s, `SERIALNO --demand=${serial}`);
        const learn = await run(s, "LEARN --force");
        assertEquals(learn.end, "OK", learn.status.join("\n"));
        const grip = (id: string) => {
          const line = learn.status.find((l) =>
            l.startsWith("KEYPAIRINFO ") && l.includes(` P11.${id} `)
          );
          assert(line, `no key ${id}: ${learn.status.join("\n")}`);
          return line.split(" ")[1]!;
        };
        const digest = new Uint8Array(32).map((_, i) => i + 1);
        const signP256 = async (id: string, pins: string[]) => {
          const pk = parsePublicKey((await run(s, `READKEY ${grip(id)}`)).data);
          assert(pk.type === "ecc");
          await run(s, `SETDATA ${Buffer.from(digest).toString("hex")}`);
          const sig = await run(s, `PKSIGN --hash=sha256 ${grip(id)}`, pins);
          if (sig.err === undefined) {
            assert(p256.verify(sig.data, digest, pk.q, { prehash: false, lowS: false }), "bad sig");
          }
          return sig;
        };
        await takeLogins();

        await t.step(
          "an always-authenticate key: one NEEDPIN, a user and a context login",
          async () => {
            const sig = await signP256(KEYS.always.id, [TOKEN_PIN]);
            assertEquals(sig.end, "OK");
            assertEquals(sig.inquiries.filter((i) => i.startsWith("NEEDPIN")).length, 1);
            assertEquals(await takeLogins(), ["C_Login 1 pin", "C_Login 2 pin"]);
            // next use: the cached PIN logs the user in, but this key's use needs the person's
            // consent, so its context login gets a PIN asked for now (singleUse, past the cache)
            const again = await signP256(KEYS.always.id, [TOKEN_PIN]);
            assertEquals(again.end, "OK");
            assertEquals(again.inquiries.filter((i) => i.startsWith("NEEDPIN")).length, 1);
            assertEquals(await takeLogins(), ["C_Login 1 pin", "C_Login 2 pin"]);
            // a wrong PIN for the consent fails once and drops the cached one: the next use
            // asks once, and that PIN serves both logins
            const wrong = await signP256(KEYS.always.id, ["999999", TOKEN_PIN]);
            assertEquals(wrong.err, scdErr(GPG_ERR_BAD_PIN), wrong.end);
            assertEquals(wrong.inquiries.filter((i) => i.startsWith("NEEDPIN")).length, 1);
            assertEquals(await takeLogins(), ["C_Login 1 pin", "C_Login 2 pin"]);
            const after = await signP256(KEYS.always.id, [TOKEN_PIN, TOKEN_PIN]);
            assertEquals(after.end, "OK");
            assertEquals(after.inquiries.filter((i) => i.startsWith("NEEDPIN")).length, 1);
            assertEquals(await takeLogins(), ["C_Login 1 pin", "C_Login 2 pin"]);
            await signP256(KEYS.plain.id, []); // the cache has the PIN again
            await takeLogins();
            // a key without the attribute is served by the cache alone
            const plain = await signP256(KEYS.plain.id, []);
            assertEquals([plain.end, plain.inquiries], ["OK", []]);
            assertEquals(await takeLogins(), ["C_Login 1 pin"]);
          },
        );

        await t.step("PKDECRYPT with an always-authenticate RSA key", async () => {
          const pk = parsePublicKey((await run(s, `READKEY ${grip(KEYS.alwaysRsa.id)}`)).data);
          assert(pk.type === "rsa");
          const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
          const key = createPublicKey({
            key: { kty: "RSA", n: b64(pk.n), e: b64(pk.e) },
            format: "jwk",
          });
          const secret = new TextEncoder().encode("always authenticate");
          const ct = publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, secret);
          await run(s, `SETDATA ${ct.toString("hex")}`);
          const dec = await run(s, `PKDECRYPT ${grip(KEYS.alwaysRsa.id)}`, [TOKEN_PIN]);
          assertEquals(dec.end, "OK");
          assertEquals(dec.inquiries.filter((i) => i.startsWith("NEEDPIN")).length, 1);
          assertEquals(dec.data, secret);
          assertEquals(await takeLogins(), ["C_Login 1 pin", "C_Login 2 pin"]);
        });

        await t.step("a key without the attribute: one login", async () => {
          const sig = await signP256(KEYS.plain.id, []);
          assertEquals(sig.end, "OK");
          assertEquals(await takeLogins(), ["C_Login 1 pin"]);
        });

        await t.step("a PIN pad: NULL PIN between POPUPPINPADPROMPT and DISMISS", async () => {
          Deno.env.set("SHIM_PINPAD", TOKEN_PIN); // the person types the right PIN on the pad
          const sig = await signP256(KEYS.plain.id, ["never-asked"]);
          assertEquals(sig.end, "OK");
          assertEquals(sig.inquiries.length, 2, sig.inquiries.join("\n"));
          assertMatch(
            sig.inquiries[0]!,
            /^POPUPPINPADPROMPT \|\|Please enter the PIN of the PKCS#11 token%0A%0AToken: login%0A/,
          );
          assertEquals(sig.inquiries[1], "DISMISSPINPADPROMPT");
          assertEquals(await takeLogins(), ["C_Login 1 null"]);

          const always = await signP256(KEYS.always.id, []);
          assertEquals(always.end, "OK");
          assertEquals(always.inquiries.map((i) => i.split(" ")[0]), [
            "POPUPPINPADPROMPT",
            "DISMISSPINPADPROMPT",
            "POPUPPINPADPROMPT",
            "DISMISSPINPADPROMPT",
          ]);
          assertEquals(await takeLogins(), ["C_Login 1 null", "C_Login 2 null"]);
        });

        await t.step("a wrong PIN typed on the pad: BAD_PIN, the prompt dismissed", async () => {
          Deno.env.set("SHIM_PINPAD", "000000");
          const sig = await signP256(KEYS.plain.id, []);
          assertEquals(sig.err, scdErr(GPG_ERR_BAD_PIN), sig.end);
          assertEquals(sig.inquiries.map((i) => i.split(" ")[0]), [
            "POPUPPINPADPROMPT",
            "DISMISSPINPADPROMPT",
          ]);
          assertEquals(await takeLogins(), ["C_Login 1 null"]);
        });
      } finally {
        await s.close();
      }
    } finally {
      for (const name of ["SHIM_TARGET", "SHIM_LOG", "SHIM_PINPAD"]) Deno.env.delete(name);
    }
  },
});
