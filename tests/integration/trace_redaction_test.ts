/**
 * The Assuan trace (`SCD_TS_TRACE`) against the in-process daemon: PKDECRYPT's plaintext,
 * SETATTR's inline secret values and a raw VERIFY's PIN are written as `[redacted N bytes]`
 * while the client still gets every byte (issue 17, M2).
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { escapeData, TraceFile } from "../../src/assuan/mod.ts";
import { parsePublicKey } from "../../src/formats/mod.ts";
import { toHex } from "../../src/util/bytes.ts";
import { ADMIN_PIN, genkey, keygripOf, run, USER_PIN } from "./_scd_client.ts";
import { ScdFixture } from "./_scd_fixture.ts";

/** Whether `needle` occurs in `hay` (byte for byte). */
function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Run `fn` on a session whose trace goes to a file; returns the file's bytes. */
async function traced(
  fn: (s: Awaited<ReturnType<ScdFixture["connect"]>>) => Promise<void>,
): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  const f = await ScdFixture.open();
  try {
    const path = `${dir}/trace.log`;
    using file = await TraceFile.open(path);
    const s = await f.connect({ trace: file.withPrefix("1 ") });
    try {
      await run(s, "SERIALNO");
      await fn(s);
    } finally {
      await s.close();
    }
    file.close();
    return await Deno.readFile(path);
  } finally {
    await f.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("PKDECRYPT: the session key reaches the client but not the trace", async () => {
  const secret = new Uint8Array(randomBytes(35));
  let received: Uint8Array | undefined;
  const bytes = await traced(async (s) => {
    await genkey(s, 2, "rsa2048");
    const pk = parsePublicKey((await run(s, "READKEY OPENPGP.2")).data);
    if (pk.type !== "rsa") throw new Error("not RSA");
    const b64u = (b: Uint8Array) =>
      btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_")
        .replace(/=+$/, "");
    const n = pk.n[0] === 0 ? pk.n.subarray(1) : pk.n;
    const key = createPublicKey({ key: { kty: "RSA", n: b64u(n), e: b64u(pk.e) }, format: "jwk" });
    const ct = publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, secret);
    await run(s, `SETDATA ${toHex(new Uint8Array(ct))}`);
    const r = await run(s, `PKDECRYPT ${await keygripOf(s, 2)}`, { NEEDPIN: [USER_PIN] });
    assertEquals(r.err, undefined, r.end);
    received = r.data;
  });
  assertEquals(toHex(received!), toHex(secret));
  const text = new TextDecoder().decode(bytes);
  assert(!contains(bytes, escapeData(secret)), "plaintext in the trace");
  assert(!contains(bytes, secret.subarray(0, 12)), "part of the plaintext in the trace");
  const after = text.slice(text.indexOf("<- PKDECRYPT"));
  assert(/\n1 -> S PADDING 0\n1 -> \[redacted \d+ bytes\]\n1 -> OK/.test(after), after);
});

Deno.test("SETATTR AESKEY and PRIVATE-DO-3 values and a raw VERIFY's PIN stay out of the trace", async () => {
  const aesKey = "00112233445566778899AABBCCDDEEFF";
  const bytes = await traced(async (s) => {
    const r = await run(s, `SETATTR AESKEY ${aesKey}`, { NEEDPIN: [ADMIN_PIN] });
    assertEquals(r.err, undefined, r.end);
    const p = await run(s, "SETATTR PRIVATE-DO-3 hidden-note", { NEEDPIN: [USER_PIN] });
    assertEquals(p.err, undefined, p.end);
    // VERIFY PW1 (82) with the factory user PIN, hex 313233343536
    const v = await run(s, "APDU 00 20 00 82 06 313233343536");
    assertEquals(toHex(v.data), "9000");
    const status = await run(s, "APDU 0020008200");
    assertEquals(status.err, undefined, status.end);
  });
  const text = new TextDecoder().decode(bytes);
  assert(!text.includes(aesKey) && !text.includes("hidden-note"), text);
  assert(!text.includes("313233343536"), text);
  assert(text.includes("1 <- SETATTR AESKEY [redacted 32 bytes]\n"), text);
  assert(text.includes("1 <- SETATTR PRIVATE-DO-3 [redacted 11 bytes]\n"), text);
  assert(text.includes("1 <- APDU 00 20 00 82 [redacted 16 bytes]\n"), text);
  // a status query carries no PIN and stays readable
  assert(text.includes("1 <- APDU 0020008200\n"), text);
});
