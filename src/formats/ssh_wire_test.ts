import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex, toHex } from "../util/bytes.ts";
import { findCurve } from "./curves.ts";
import {
  SshKeyTypeError,
  sshMpint,
  sshPublicKey,
  sshPublicKeyLine,
  SshReader,
  sshSignature,
  sshString,
  SshWireError,
} from "./ssh_wire.ts";

Deno.test("sshMpint() follows RFC 4251 §5 examples", () => {
  assertEquals(toHex(sshMpint(new Uint8Array(0))), "00000000");
  assertEquals(toHex(sshMpint(fromHex("0009A378F9B2E332A7"))), "0000000809A378F9B2E332A7");
  assertEquals(toHex(sshMpint(fromHex("80"))), "000000020080");
});

Deno.test("SshReader reads strings and refuses lengths past the end", () => {
  const r = new SshReader(fromHex("0000000361626301FF"));
  assertEquals(r.text(), "abc");
  assertEquals(r.boolean(), true);
  assertThrows(() => r.end(), SshWireError);
  assertThrows(() => new SshReader(fromHex("FFFFFFFF00")).string(), SshWireError);
  assertThrows(() => new SshReader(fromHex("0000")).uint32(), SshWireError);
  assertThrows(() => new SshReader(fromHex("00000002C328")).text(), SshWireError);
});

Deno.test("sshPublicKey() writes OpenSSH's ECDSA blob with the nistp curve id", () => {
  const q = fromHex("04" + "11".repeat(64));
  const k = sshPublicKey({ type: "ecc", curve: findCurve("NIST P-256")!, q });
  assertEquals(k.type, "ecdsa-sha2-nistp256");
  const r = new SshReader(k.blob);
  assertEquals([r.text(), r.text(), toHex(r.string())], [k.type, "nistp256", toHex(q)]);
  r.end();
  assertEquals(k.key, { kind: "ecdsa", hash: "sha256", fieldBytes: 32 });
  const k521 = sshPublicKey({ type: "ecc", curve: findCurve("NIST P-521")!, q });
  assertEquals(k521.key.kind === "ecdsa" && k521.key.hash, "sha512");
});

Deno.test("sshPublicKey() drops gpg's 0x40 prefix of Ed25519 and refuses Curve25519", () => {
  const q = fromHex("40" + "22".repeat(32));
  const k = sshPublicKey({ type: "ecc", curve: findCurve("Ed25519")!, flags: "eddsa", q });
  assertEquals(toHex(k.blob), toHex(sshString("ssh-ed25519")) + "00000020" + "22".repeat(32));
  assertEquals(sshPublicKeyLine(k, "c").startsWith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"), true);
  const cv = { type: "ecc", curve: findCurve("Curve25519")!, flags: "djb-tweak", q } as const;
  assertThrows(() => sshPublicKey(cv), SshKeyTypeError);
});

Deno.test("sshPublicKey() writes ssh-rsa as e then n", () => {
  const k = sshPublicKey({ type: "rsa", n: fromHex("C0FFEE"), e: fromHex("010001") });
  const r = new SshReader(k.blob);
  assertEquals([r.text(), toHex(r.string()), toHex(r.string())], ["ssh-rsa", "010001", "00C0FFEE"]);
});

Deno.test("sshSignature() splits ECDSA r ‖ s into two mpints", () => {
  const raw = fromHex("80" + "00".repeat(31) + "00".repeat(31) + "01");
  const sig = new SshReader(
    sshSignature({ kind: "ecdsa", hash: "sha256", fieldBytes: 32 }, "ecdsa-sha2-nistp256", raw),
  );
  assertEquals(sig.text(), "ecdsa-sha2-nistp256");
  const rs = new SshReader(sig.string());
  assertEquals([toHex(rs.string()), toHex(rs.string())], ["0080" + "00".repeat(31), "01"]);
  const rsa = new SshReader(sshSignature({ kind: "rsa" }, "rsa-sha2-512", fromHex("0102")));
  assertEquals([rsa.text(), toHex(rsa.string())], ["rsa-sha2-512", "0102"]);
});
