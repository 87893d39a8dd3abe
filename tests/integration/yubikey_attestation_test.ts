/**
 * `SETATTR GEN-ATTST OPENPGP.<n>` (gnupg master / 2.5.12 scd/app-openpgp.c `do_setattr`):
 * the Admin PIN, then the YubiKey's `80 FB 0n 00`, which writes an attestation statement
 * for the key into that slot's cardholder certificate. Against the virtual YubiKey 5
 * (src/virtual/attestation.ts), read back over the card's own interface: the statement is an
 * X.509 certificate for the attested key, signed by the key whose certificate DO FC holds.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { Buffer } from "node:buffer";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import { ADMIN_PIN, genkey, run, scdErr, withCard as withFreshCard } from "./_scd_client.ts";
import { ScdFixture, type Session } from "./_scd_fixture.ts";

/** A session on a fresh virtual card of `profile`. */
function withCard(profile: string, fn: (s: Session, f: ScdFixture) => Promise<void>) {
  return withFreshCard(fn, { profile });
}

/** Sends `hex` to the card itself (not through the daemon); the data, or throws on SW ≠ 9000. */
async function apdu(f: ScdFixture, hex: string): Promise<Uint8Array> {
  const r = await f.card.transmit(fromHex(hex));
  const sw = toHex(r.subarray(r.length - 2));
  if (sw !== "9000") throw new Error(`Card answered ${sw} to ${hex}`);
  return r.subarray(0, r.length - 2);
}

/** The cardholder certificate of SELECT DATA occurrence `n` and DO FC, read from the card. */
async function readCerts(f: ScdFixture, n: number): Promise<{ slot: Uint8Array; fc: Uint8Array }> {
  await apdu(f, "00A4040006D27600012401");
  await apdu(f, `00A50${n}04066004 5C027F21`.replaceAll(" ", ""));
  const slot = await apdu(f, "00CA7F21000000");
  await apdu(f, "00A500040660045C027F21");
  return { slot, fc: await apdu(f, "00CA00FC000000") };
}

Deno.test("GEN-ATTST OPENPGP.1 on a YubiKey 5: the statement is a certificate for the key, signed by FC's key", async () => {
  await withCard("yubikey5", async (s, f) => {
    await genkey(s, 1, "ed25519");
    const r = await run(s, "SETATTR GEN-ATTST OPENPGP.1", { NEEDPIN: [ADMIN_PIN] });
    assertEquals(r.err, undefined, r.end);
    const { slot, fc } = await readCerts(f, 2); // the signature key's certificate: occurrence 2
    // READCERT OPENPGP.1 reads the same occurrence through SELECT DATA
    assertEquals(toHex((await run(s, "READCERT OPENPGP.1")).data), toHex(slot));
    const statement = new X509Certificate(Buffer.from(slot));
    const attestation = new X509Certificate(Buffer.from(fc));
    assert(statement.subject.includes("YubiKey OPGP Attestation SIG"), statement.subject);
    assertEquals(statement.issuer, attestation.subject);
    assert(statement.verify(attestation.publicKey), "statement not signed by the FC key");
    // its public key is the card's signature key (READKEY: Ed25519 q, 0x40-prefixed)
    const key = await run(s, "READKEY --format=ssh OPENPGP.1");
    const jwk = statement.publicKey.export({ format: "jwk" });
    assertEquals(jwk.crv, "Ed25519");
    const ssh = new TextDecoder().decode(key.data).split(" ")[1]!;
    const blob = Buffer.from(ssh, "base64");
    assertEquals(
      Buffer.from(jwk.x!, "base64url").toString("hex"),
      blob.subarray(-32).toString("hex"),
    );
  });
});

Deno.test("GEN-ATTST errors: a bad key id is INV_ID after the Admin PIN; an empty slot and a card without attestation fail", async () => {
  await withCard("yubikey5", async (s) => {
    const bad = await run(s, "SETATTR GEN-ATTST OPENPGP.4", { NEEDPIN: [ADMIN_PIN] });
    assertEquals([bad.err, bad.inquiries.length], [scdErr(118), 1]); // INV_ID
    const empty = await run(s, "SETATTR GEN-ATTST OPENPGP.3");
    assert(empty.err !== undefined, empty.end);
  });
  await withCard("openpgp34", async (s) => {
    await genkey(s, 1, "ed25519");
    const r = await run(s, "SETATTR GEN-ATTST OPENPGP.1", { NEEDPIN: [ADMIN_PIN] });
    assert(r.err !== undefined, r.end);
  });
});
