/**
 * gnupg 2.5's gpg-agent side of the exchange, played against the in-process daemon and the
 * virtual card (tests/integration/_agent25.ts says what each step is rebuilt from):
 * PKSIGN input in `SETDATA --append` lines (2.5.2, T7436) and the ECC part of a composite
 * ML-KEM + ECC key decrypted with `PKDECRYPT <keygrip>`, whose result must be one of the
 * shapes the agent accepts (2.5.7/2.5.10/2.5.11, T7648, T7709).
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createHash } from "node:crypto";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import { parsePublicKey, type PublicKey } from "../../src/formats/mod.ts";
import { parseAlgorithmAttributes } from "../../src/openpgp/algorithm.ts";
import { decipherResult } from "../../src/openpgp/crypto_input.ts";
import { concat, fromHex, toHex } from "../../src/util/bytes.ts";
import {
  agentEccKemResult,
  POINT_LEN,
  prepareSetdata,
  SETDATA_CHUNK,
  setdataLines,
} from "./_agent25.ts";
import { genkey, keygripOf, run, scdErr, USER_PIN, withCard } from "./_scd_client.ts";
import type { Session } from "./_scd_fixture.ts";

const INV_VALUE = scdErr(55);
const TOO_LARGE = scdErr(67);

async function readKey(s: Session, n: 1 | 2 | 3): Promise<PublicKey & { type: "ecc" }> {
  const r = await run(s, `READKEY OPENPGP.${n}`);
  const pk = parsePublicKey(r.data);
  if (pk.type !== "ecc") throw new Error(`OPENPGP.${n} is not an ECC key`);
  return pk;
}

Deno.test("setdataLines() splits like the 2.5 agent: 475 bytes a line, --append after the first", () => {
  const lines = setdataLines(new Uint8Array(1200).fill(0xab));
  assertEquals(lines.map((l) => l.split(" ").slice(0, -1).join(" ")), [
    "SETDATA",
    "SETDATA --append",
    "SETDATA --append",
  ]);
  assertEquals(lines.map((l) => l.split(" ").at(-1)!.length / 2), [475, 475, 250]);
  // each line, LF included, fits Assuan's 1000 bytes
  assert(lines.every((l) => l.length + 1 <= 1000));
});

Deno.test("2.5 agent: a PKSIGN digest sent in SETDATA --append pieces is joined and signs", async () => {
  await withCard(async (s) => {
    await genkey(s, 1, "ed25519");
    const pk = await readKey(s, 1);
    const digest = new Uint8Array(createHash("sha512").update("issue 21").digest());
    // the agent's own split (one line for 64 bytes), then the same bytes in 20-byte pieces
    for (const chunk of [SETDATA_CHUNK, 20]) {
      const set = await prepareSetdata(s, digest, chunk);
      assertEquals(set.err, undefined, set.end);
      const r = await run(s, "PKSIGN --hash=sha512 OPENPGP.1", { NEEDPIN: [USER_PIN] });
      assertEquals(r.err, undefined, r.end);
      assert(ed25519.verify(r.data, digest, pk.q.subarray(pk.q.length - 32)), `chunk ${chunk}`);
    }
  });
});

Deno.test("2.5 agent: a 1200-byte PKSIGN input (three SETDATA lines) is INV_VALUE with no PIN prompt", async () => {
  await withCard(async (s) => {
    await genkey(s, 1, "ed25519");
    const message = new Uint8Array(1200).fill(0x5a);
    assertEquals(setdataLines(message).length, 3);
    assertEquals((await prepareSetdata(s, message)).err, undefined);
    // stock's do_sign takes only digest-sized input, checked before it asks for the PIN
    const r = await run(s, "PKSIGN --hash=sha512 OPENPGP.1", { NEEDPIN: [USER_PIN] });
    assertEquals([r.err, r.inquiries], [INV_VALUE, []]);
    // more than 4096 bytes in all: the --append line that crosses it is TOO_LARGE
    const big = await prepareSetdata(s, new Uint8Array(4097));
    assertEquals(big.err, TOO_LARGE, big.end);
  });
});

/** The ECC ciphertext the 2.5 agent sends for `algo`, and the ECDH value it must end with. */
function eccExchange(algo: keyof typeof POINT_LEN, cardPoint: Uint8Array) {
  if (algo === "cv25519") {
    const eph = x25519.utils.randomSecretKey();
    // the card's point is 0x40 ‖ X; the agent strips the prefix from its ciphertext too
    const shared = x25519.getSharedSecret(eph, cardPoint.subarray(cardPoint.length - 32));
    return { ct: x25519.getPublicKey(eph), x: shared };
  }
  const curve = algo === "nistp256" ? p256 : p384;
  const eph = curve.utils.randomSecretKey();
  const shared = curve.getSharedSecret(eph, cardPoint, false);
  return { ct: curve.getPublicKey(eph, false), x: shared.subarray(1, 1 + (shared.length - 1) / 2) };
}

Deno.test("2.5 agent: the ECC part of a composite key via PKDECRYPT <keygrip> comes back in a shape the agent accepts", async () => {
  for (const algo of ["cv25519", "nistp256", "nistp384"] as const) {
    await withCard(async (s) => {
      await genkey(s, 2, algo);
      const grip = await keygripOf(s, 2);
      const { ct, x } = eccExchange(algo, (await readKey(s, 2)).q);
      assertEquals(ct.length, POINT_LEN[algo]);
      assertEquals((await prepareSetdata(s, ct)).err, undefined);
      const r = await run(s, `PKDECRYPT ${grip}`, { NEEDPIN: [USER_PIN] });
      assertEquals(r.err, undefined, `${algo}: ${r.end}`);
      const ecdh = agentEccKemResult(r.data, POINT_LEN[algo]);
      assert(ecdh !== undefined, `${algo}: the agent refuses ${toHex(r.data)}`);
      if (algo === "cv25519") {
        // 0x40 ‖ X (33 bytes for a 32-byte point): the agent drops the prefix
        assertEquals([r.data[0], toHex(ecdh)], [0x40, toHex(x)]);
      } else {
        // the card answers X alone; scdaemon's 0x41 prefix marks it, the agent zero-pads
        assertEquals(
          toHex(ecdh),
          toHex(concat(Uint8Array.of(0x41), x)).padEnd(ecdh.length * 2, "0"),
        );
      }
    });
  }
});

Deno.test("decipherResult() passes a card's full 04‖X‖Y point through, which the 2.5 agent takes as is", () => {
  const p256Ecdh = parseAlgorithmAttributes(fromHex("122A8648CE3D030107"));
  const point = p256.getPublicKey(p256.utils.randomSecretKey(), false);
  const out = decipherResult(point, p256Ecdh);
  assertEquals(toHex(out), toHex(point));
  assertEquals(toHex(agentEccKemResult(out, POINT_LEN.nistp256)!), toHex(point));
  // the agent's other accepted shapes, and one it refuses
  const x = point.subarray(1, 33);
  for (const prefix of [0x02, 0x03, 0x41]) {
    assert(agentEccKemResult(concat(Uint8Array.of(prefix), x), 65) !== undefined, `${prefix}`);
  }
  assertEquals(agentEccKemResult(concat(Uint8Array.of(0x40), point), 65)?.length, 65);
  assertEquals(agentEccKemResult(x, 65), undefined);
});

Deno.test("PASSWD verifies the old PIN first (master, T7840): a longer old PIN is BAD_PIN, not a changed PIN", async () => {
  await withCard(async (s) => {
    // stored 123456: CHANGE REFERENCE DATA alone would split 1234567 ‖ 654321 after six
    // bytes, accept it, and leave the PIN 7654321
    const wrong = await run(s, "PASSWD OPENPGP.1", { NEEDPIN: [`${USER_PIN}7`, "654321"] });
    assertEquals(wrong.err, scdErr(87), wrong.end); // BAD_PIN
    assertEquals((await run(s, "GETATTR CHV-STATUS")).status, ["CHV-STATUS +1+127+127+127+2+0+3"]);
    // the PIN is unchanged; a proper change then works and the new PIN is the one asked for
    const ok = await run(s, "PASSWD OPENPGP.1", { NEEDPIN: [USER_PIN, "654321"] });
    assertEquals(ok.err, undefined, ok.end);
    await genkey(s, 1, "ed25519");
    await run(s, `SETDATA ${"11".repeat(32)}`);
    const old = await run(s, "PKSIGN --hash=sha256 OPENPGP.1", { NEEDPIN: [USER_PIN] });
    assertEquals(old.err, scdErr(87), old.end);
    const signed = await run(s, "PKSIGN --hash=sha256 OPENPGP.1", { NEEDPIN: ["654321"] });
    assertEquals(signed.err, undefined, signed.end);
  });
});
