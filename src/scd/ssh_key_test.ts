import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { findCurve, type PublicKey } from "../formats/mod.ts";
import { GpgError } from "../gpg_error/mod.ts";
import { fromHex } from "../util/bytes.ts";
import { sshPublicKeyLine } from "./ssh_key.ts";

function b64decode(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

// Stock 2.4.7's answer to `SCD READKEY --format=ssh OPENPGP.3` for a NIST P-384 key on the
// e2e bed's virtual card (scd-ts.e2e probe, 2026-11-23).
const STOCK_P384 = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAKTklTVCBQLTM4NAAAAGEE" +
  "VCOKfQ1Uwz+VrLZ47jb/Y+9U2FV/dHKD3dFr4i3GrwMuGBPckCSIOGf+Bro/WRaVqmaLPbfw9dFVJ8WHiNVbe+hWOIz" +
  "Fi7ycJVnnf7/e4nRk1Sz/Pr8mY7MUBOab9x5v (none)";

Deno.test("sshPublicKeyLine() reproduces stock 2.4.7's ECDSA line (libgcrypt curve name inside)", () => {
  const blob = b64decode(STOCK_P384.split(" ")[1]!);
  const q = blob.subarray(blob.length - 97);
  const pk: PublicKey = { type: "ecc", curve: findCurve("NIST P-384")!, q };
  assertEquals(sshPublicKeyLine(pk), STOCK_P384);
});

Deno.test("sshPublicKeyLine() for Ed25519 drops the 0x40 prefix; RSA writes e then n as mpints", () => {
  const q = new Uint8Array(33).fill(0x11);
  q[0] = 0x40;
  const ed = sshPublicKeyLine({ type: "ecc", curve: findCurve("Ed25519")!, q, flags: "eddsa" });
  const [type, b64, comment] = ed.split(" ");
  assertEquals([type, comment], ["ssh-ed25519", "(none)"]);
  assertEquals(
    [...b64decode(b64!)],
    [0, 0, 0, 11, ...new TextEncoder().encode("ssh-ed25519"), 0, 0, 0, 32, ...q.subarray(1)],
  );
  const rsa = sshPublicKeyLine({
    type: "rsa",
    n: fromHex("00C1" + "00".repeat(254) + "01"),
    e: fromHex("010001"),
  });
  const blob = b64decode(rsa.split(" ")[1]!);
  assertEquals([...blob.subarray(0, 11)], [0, 0, 0, 7, ...new TextEncoder().encode("ssh-rsa")]);
  assertEquals([...blob.subarray(11, 18)], [0, 0, 0, 3, 1, 0, 1]);
  assertEquals([...blob.subarray(18, 23)], [0, 0, 1, 1, 0]); // 257 bytes: 00 ‖ C1…
});

Deno.test("sshPublicKeyLine() refuses Curve25519 (an encryption key) with UNKNOWN_CURVE", () => {
  const q = new Uint8Array(33).fill(0x40);
  assertThrows(
    () => sshPublicKeyLine({ type: "ecc", curve: findCurve("Curve25519")!, q, flags: "djb-tweak" }),
    (e: unknown) => e instanceof GpgError && e.codeName === "UNKNOWN_CURVE",
  );
});
