/**
 * The admin commands over Assuan against the real OpenPGP application and the in-process
 * virtual card: SETATTR (escaping, --inquire, Admin PIN once, KEY-ATTR forgetting it),
 * GENKEY (stock's argument errors, status order and chunking), WRITEKEY (confidential
 * KEYDATA, the imported key signs), WRITECERT/READCERT.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { createHash } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { MemoryTrace } from "../../src/assuan/mod.ts";
import { p384 } from "@noble/curves/nist.js";
import {
  encodeDigestInfo,
  encodeSexp,
  findCurve,
  type Sexp,
  sexpList,
  v4Fingerprint,
} from "../../src/formats/mod.ts";
import { concat, toHex } from "../../src/util/bytes.ts";
import { ADMIN_PIN, genkey, run, scdErr, USER_PIN, withCard } from "./_scd_client.ts";
import { ed25519KeyData } from "../support/key_data.ts";
import { ScdFixture } from "./_scd_fixture.ts";

const ASS_PARAMETER = scdErr(280);

Deno.test("SETATTR: percent-plus value, one Admin PIN prompt for several names, GETATTR reads back", async () => {
  await withCard(async (s) => {
    const a = await run(s, "SETATTR DISP-NAME Doe<<John%2BQ+X", { NEEDPIN: [ADMIN_PIN] });
    assertEquals(a.err, undefined, a.end);
    assertMatch(a.inquiries[0]!, /^NEEDPIN \|A\|Please enter the Admin PIN%0A%0A/);
    const b = await run(s, "SETATTR PUBKEY-URL https://example.org/k.asc", {
      NEEDPIN: [ADMIN_PIN],
    });
    const c = await run(s, "SETATTR DISP-LANG de");
    assertEquals([b.err, b.inquiries, c.err], [undefined, [], undefined]);
    assertEquals((await run(s, "GETATTR DISP-NAME")).status, ["DISP-NAME Doe<<John%2BQ+X"]);
    assertEquals((await run(s, "GETATTR PUBKEY-URL")).status, [
      "PUBKEY-URL https://example.org/k.asc",
    ]);
    assertEquals((await run(s, "SETATTR NO-SUCH-NAME x")).err, scdErr(88));
  });
});

Deno.test("SETATTR --inquire takes the value from INQUIRE VALUE and keeps it out of the trace", async () => {
  const f = await ScdFixture.open();
  const trace = new MemoryTrace();
  const s = await f.connect({ trace });
  await run(s, "SERIALNO");
  const r = await run(s, "SETATTR --inquire LOGIN-DATA", {
    VALUE: ["secret-login"],
    NEEDPIN: [ADMIN_PIN],
  });
  assertEquals([r.err, r.inquiries[0]], [undefined, "VALUE"]);
  assertEquals((await run(s, "GETATTR LOGIN-DATA")).status, ["LOGIN-DATA secret-login"]);
  await s.close();
  await f.close();
  const text = trace.lines.filter((l) => !l.includes("S LOGIN-DATA")).join("\n");
  assert(!text.includes("secret-login"), text);
  assert(text.includes("[redacted"), text);
});

Deno.test("SETATTR KEY-ATTR forgets the cached PINs, as stock asks for the Admin PIN again", async () => {
  await withCard(async (s) => {
    const first = await run(s, "SETATTR KEY-ATTR --force 1 22 ed25519", { NEEDPIN: [ADMIN_PIN] });
    assertEquals([first.err, first.inquiries.length], [undefined, 1]);
    const again = await run(s, "SETATTR DISP-LANG en", { NEEDPIN: [ADMIN_PIN] });
    assertEquals([again.err, again.inquiries.length], [undefined, 1]);
    assertEquals((await run(s, "GETATTR KEY-ATTR")).status[0], "KEY-ATTR 1 22 Ed25519");
  });
});

Deno.test("a SETATTR KEY-ATTR refused before the card saw it keeps the cached PINs", async () => {
  await withCard(async (s) => {
    const first = await run(s, "SETATTR DISP-LANG en", { NEEDPIN: [ADMIN_PIN] });
    assertEquals([first.err, first.inquiries.length], [undefined, 1]);
    // an attribute string stock rejects while parsing, before any APDU
    const bad = await run(s, "SETATTR KEY-ATTR --force 1 22 no-such-curve", {
      NEEDPIN: [ADMIN_PIN],
    });
    assert(bad.err !== undefined, bad.end);
    const after = await run(s, "SETATTR DISP-LANG de", { NEEDPIN: [ADMIN_PIN] });
    assertEquals([after.err, after.inquiries.length], [undefined, 0]);
  });
});

Deno.test("SETATTR KEY-ATTR refused while parsing keeps the cached Admin PIN (the card did not change)", async () => {
  await withCard(async (s) => {
    const first = await run(s, "SETATTR DISP-NAME Doe<<Jane", { NEEDPIN: [ADMIN_PIN] });
    assertEquals([first.err, first.inquiries.length], [undefined, 1]);
    // stock reads the bits after three characters ("rsa"): "1024" is 4 bits, TOO_SHORT
    // before the card sees anything (app-openpgp.c change_keyattr_from_string)
    const refused = await run(s, "SETATTR KEY-ATTR --force 1 1 1024");
    assert(refused.err !== undefined, refused.end);
    assertEquals(refused.inquiries, []);
    const after = await run(s, "SETATTR DISP-LANG en");
    assertEquals([after.err, after.inquiries], [undefined, []]);
    assertEquals((await run(s, "GETATTR KEY-ATTR")).status[0], "KEY-ATTR 1 1 rsa2048 32 1");
  });
});

Deno.test("GENKEY: stock's argument errors; an existing key needs --force", async () => {
  await withCard(async (s) => {
    const p = `ERR ${ASS_PARAMETER} IPC parameter error <SCD>`;
    assertEquals((await run(s, "GENKEY --timestamp=xx 1")).end, `${p} - invalid time value`);
    assertEquals(
      (await run(s, "GENKEY --timestamp=19691231T235959 1")).end,
      `${p} - invalid time value`,
    );
    assertEquals((await run(s, "GENKEY --timestamp 1")).end, `${p} - missing value for option`);
    assertEquals((await run(s, "GENKEY")).end, `${p} - no key number given`);
    await genkey(s, 1, "ed25519");
    const again = await run(s, "GENKEY 1", { NEEDPIN: [ADMIN_PIN] });
    assertEquals(again.err, scdErr(0x8000 | 35)); // EEXIST
  });
});

Deno.test("GENKEY status lines: KEY-CREATED-AT, KEY-DATA (chunked over 768 hex digits), KEY-FPR", async () => {
  await withCard(async (s) => {
    const r = await genkey(s, 1, "rsa4096");
    const kw = r.status.map((l) => l.split(" ").slice(0, 2).join(" "));
    assertEquals(kw, [
      "KEY-CREATED-AT 1704067200",
      "KEY-DATA -",
      "KEY-DATA n",
      "KEY-DATA e",
      "KEY-FPR " + r.status.at(-1)!.split(" ")[1],
    ]);
    assertEquals(r.status[1]!.split(" ")[2]!.length, 768);
    assertEquals(r.status[1]!.split(" ")[2]!.length + r.status[2]!.split(" ")[2]!.length, 1024);
    const fpr = r.status.at(-1)!.split(" ")[1]!;
    assertEquals((await run(s, "GETATTR KEY-FPR")).status, [`KEY-FPR 1 ${fpr}`]);
    const e = await genkey(s, 2, "cv25519");
    assertEquals(e.status.map((l) => l.split(" ").slice(0, 2).join(" ")).slice(0, 2), [
      "KEY-CREATED-AT 1704067200",
      "KEY-DATA q",
    ]);
    assertMatch(e.status.at(-1)!, /^KEY-FPR [0-9A-F]{40}$/);
  });
});

Deno.test("WRITEKEY: INQUIRE KEYDATA (redacted in the trace); the imported Ed25519 key signs", async () => {
  const f = await ScdFixture.open();
  const trace = new MemoryTrace();
  const s = await f.connect({ trace });
  await run(s, "SERIALNO");
  const { secret: d, q, keyData } = ed25519KeyData(1700000000);
  assertEquals(
    (await run(s, "WRITEKEY")).end,
    `ERR ${ASS_PARAMETER} IPC parameter error <SCD> - no keyid given`,
  );
  const w = await run(s, "WRITEKEY --force OPENPGP.1", {
    KEYDATA: [keyData],
    NEEDPIN: [ADMIN_PIN, ADMIN_PIN],
  });
  assertEquals(w.err, undefined, w.end);
  assertEquals(w.inquiries[0], "KEYDATA");
  const digest = new Uint8Array(createHash("sha512").update("imported").digest());
  await run(s, `SETDATA ${toHex(encodeDigestInfo("sha512", digest))}`);
  const sig = await run(s, "PKSIGN --hash=sha512 OPENPGP.1", { NEEDPIN: [USER_PIN] });
  assertEquals(sig.err, undefined, sig.end);
  assert(ed25519.verify(sig.data, digest, q.subarray(1)));
  await s.close();
  await f.close();
  const text = trace.lines.join("\n").toUpperCase();
  assert(!text.includes(toHex(d).slice(0, 16)), "private key bytes in the trace");
  // the client's KEYDATA and PIN lines were all confidential
  assert(!trace.lines.some((l) => l.startsWith("<- D ")), text);
});

Deno.test("WRITECERT stores OPENPGP.3's certificate and READCERT returns it; none yet is NOT_FOUND", async () => {
  await withCard(async (s) => {
    // stock 2.2.40 and 2.4.7 (do_readcert): an empty DO 7F21 is NOT_FOUND
    assertEquals((await run(s, "READCERT OPENPGP.3")).err, scdErr(27));
    const der = concat(
      Uint8Array.of(0x30, 0x82, 0x01, 0x2c),
      Uint8Array.of(0x25, 0x0a, 0x0d),
      new Uint8Array(297).fill(7),
    );
    assertEquals(
      (await run(s, "WRITECERT")).end,
      `ERR ${ASS_PARAMETER} IPC parameter error <SCD> - no certid given`,
    );
    const w = await run(s, "WRITECERT OPENPGP.3", { CERTDATA: [der], NEEDPIN: [ADMIN_PIN] });
    assertEquals([w.err, w.inquiries[0]], [undefined, "CERTDATA"]);
    const r = await run(s, "READCERT OPENPGP.3");
    assertEquals(toHex(r.data), toHex(der));
    assertEquals((await run(s, `READCERT ${"AB".repeat(20)}`)).err, scdErr(112));
    // certificates 1 and 2 (SELECT DATA occurrences 2 and 1): empty here, and an empty
    // answer is OK with no data, as stock 2.4.7 answers READCERT OPENPGP.1 on a fresh card
    for (const id of ["OPENPGP.1", "OPENPGP.2"]) {
      const empty = await run(s, `READCERT ${id}`);
      assertEquals([empty.end, empty.data.length], ["OK", 0], id);
    }
    assertEquals(toHex((await run(s, "READCERT OPENPGP.3")).data), toHex(der));
    assertEquals((await run(s, "READCERT OPENPGP.4")).err, scdErr(118));
  });
});

Deno.test("SETATTR KDF with raw binary bytes on the line (as gpg sends it) switches the card to KDF", async () => {
  await withCard(async (s) => {
    // a 110-byte KDF-DO, escaped as gpg's agent_scd_setattr does: control bytes, %, + only
    const kdf = concat(
      Uint8Array.of(0x81, 0x01, 0x03, 0x82, 0x01, 0x08, 0x83, 0x04, 0x00, 0x03, 0x00, 0x00),
      Uint8Array.of(0x84, 0x08),
      new Uint8Array(8).fill(0xa1),
      Uint8Array.of(0x85, 0x08),
      new Uint8Array(8).fill(0xb2),
      Uint8Array.of(0x86, 0x08),
      new Uint8Array(8).fill(0xc3),
      Uint8Array.of(0x87, 0x20),
      new Uint8Array(32),
      Uint8Array.of(0x88, 0x20),
      new Uint8Array(32),
    );
    let escaped = "";
    for (const b of kdf) {
      escaped += b < 0x20 || b === 0x25 || b === 0x2b || b === 0x22 || b === 0x20
        ? `%${b.toString(16).padStart(2, "0").toUpperCase()}`
        : String.fromCharCode(b);
    }
    const line = Uint8Array.from(
      [..."SETATTR KDF "].map((c) => c.charCodeAt(0)).concat(
        [...escaped].map((c) => c.charCodeAt(0)),
      ),
    );
    await s.client.sendRaw(concat(line, Uint8Array.of(0x0a)));
    const first = await s.client.line();
    assertMatch(first ?? "", /^INQUIRE NEEDPIN \|A\|/);
    await s.client.sendRaw(new TextEncoder().encode(`D ${ADMIN_PIN}${"%00".repeat(82)}\nEND\n`));
    assertEquals(await s.client.line(), "OK");
    const status = (await run(s, "GETATTR KDF")).status[0] ?? "";
    assert(status.startsWith("KDF "), status);
    assertEquals(status.length > 100, true, status);
  });
});

Deno.test("every attribute gpg --card-edit / gpg-card sets reads back with GETATTR", async () => {
  await withCard(async (s) => {
    const fpr = "%01" + "A".repeat(19); // a 20-byte binary fingerprint: 01, then 19 × 41
    const cases: [string, string, string[]][] = [
      ["DISP-NAME", "Tester<<Alice", ["DISP-NAME Tester<<Alice"]],
      ["LOGIN-DATA", "alice", ["LOGIN-DATA alice"]],
      ["DISP-LANG", "deen", ["DISP-LANG deen"]],
      ["DISP-SEX", "2", ["DISP-SEX 2"]],
      ["PUBKEY-URL", "https://example.org/a.asc", ["PUBKEY-URL https://example.org/a.asc"]],
      ["PRIVATE-DO-1", "one", ["PRIVATE-DO-1 one"]],
      ["PRIVATE-DO-2", "two+words", ["PRIVATE-DO-2 two+words"]],
      ["UIF-1", "%01+", ["UIF-1 %01+"]],
      ["UIF-3", "%02+", ["UIF-3 %02+"]],
    ];
    for (const [name, value, expected] of cases) {
      const pin = name === "PRIVATE-DO-1" ? USER_PIN : ADMIN_PIN; // PW1 (82) for DO 0101
      const r = await run(s, `SETATTR ${name} ${value}`, { NEEDPIN: [pin] });
      assertEquals(r.err, undefined, `${name}: ${r.end}`);
      assertEquals((await run(s, `GETATTR ${name}`)).status, expected, name);
    }
    for (const n of [1, 2, 3]) {
      assertEquals((await run(s, `SETATTR CA-FPR-${n} ${fpr}`)).err, undefined);
    }
    const ca = (await run(s, "GETATTR CA-FPR")).status;
    assertEquals(ca, [1, 2, 3].map((n) => `CA-FPR ${n} 01${"41".repeat(19)}`));
    assertEquals((await run(s, "SETATTR CHV-STATUS-1 %00")).err, undefined);
    assertMatch((await run(s, "GETATTR CHV-STATUS")).status[0]!, /^CHV-STATUS \+0\+/);
    const g = await genkey(s, 1, "ed25519");
    const fprLine = g.status.at(-1)!.split(" ")[1];
    assertEquals((await run(s, "GETATTR KEY-FPR")).status, [`KEY-FPR 1 ${fprLine}`]);
    assertEquals((await run(s, "GETATTR KEY-TIME")).status, ["KEY-TIME 1 1704067200"]);
    assertEquals((await run(s, "GETATTR SIG-COUNTER")).status, ["SIG-COUNTER 0"]);
  });
});

Deno.test("WRITEKEY of a P-384 ECDH key: KDF params from ecdh-params (2.4), else gpg 2.2's (AES-192)", async () => {
  await withCard(async (s) => {
    const d = p384.utils.randomSecretKey();
    const q = p384.getPublicKey(d, false);
    const curve = findCurve("NIST P-384")!;
    const keyData = (extra: Sexp[]) =>
      encodeSexp(sexpList(
        "private-key",
        sexpList("ecc", sexpList("curve", "NIST P-384"), sexpList("q", q), sexpList("d", d)),
        sexpList("created-at", "1700000000"),
        ...extra,
      ));
    const expect = (params: number[]) =>
      toHex(v4Fingerprint({ type: "ecc", curve, q }, 1700000000, {
        algo: 18,
        kdfParams: Uint8Array.from(params),
      }));
    const write = async (data: Uint8Array) => {
      const w = await run(s, "WRITEKEY --force OPENPGP.2", {
        KEYDATA: [data],
        NEEDPIN: [ADMIN_PIN, ADMIN_PIN],
      });
      assertEquals(w.err, undefined, w.end);
      return (await run(s, "GETATTR KEY-FPR")).status[0]!.split(" ")[2];
    };
    assertEquals(await write(keyData([])), expect([3, 1, 9, 8]));
    const given = Uint8Array.of(3, 1, 9, 9);
    assertEquals(await write(keyData([sexpList("ecdh-params", given)])), expect([3, 1, 9, 9]));
  });
});
