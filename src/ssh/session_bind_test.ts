import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { hostKey, type HostKeyType, sessionBindBody } from "../../tests/support/ssh_host_key.ts";
import { concat } from "../util/bytes.ts";
import { verifyHostSignature } from "./host_key.ts";
import { parseRequest } from "./protocol.ts";
import { MAX_SESSION_BINDS, SessionBinds } from "./session_bind.ts";

const SID = new Uint8Array(32).fill(0x5a);

/** A parsed session-bind request as the agent would get it. */
function request(body: Uint8Array) {
  const r = parseRequest(body);
  if (r.type !== "session-bind") throw new Error(`not a session-bind: ${r.type}`);
  return r;
}

const TYPES: HostKeyType[] = [
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-ed25519",
];

for (const type of TYPES) {
  Deno.test(`session-bind: a ${type} host key's signature is verified`, () => {
    const key = hostKey(type);
    const other = hostKey(type);
    const binds = new SessionBinds();
    // signed by another key of the same type, or over another session id: refused
    assert(binds.bind(request(sessionBindBody(key, SID, false, other.sign(SID)))));
    const otherSid = SID.slice();
    otherSid[0] = 0;
    assert(binds.bind(request(sessionBindBody(key, SID, false, key.sign(otherSid)))));
    assertEquals(binds.list.length, 0);
    assert(binds.forwarded, "a failed bind leaves the connection's origin unknown");
    assertEquals(binds.bind(request(sessionBindBody(key, SID, false))), undefined);
    assertEquals(binds.list.map((b) => b.forwarding), [false]);
    assert(!binds.forwarded);
  });
}

Deno.test("verifyHostSignature(): RSA with each hash name; algorithm must fit the key", () => {
  const rsa = hostKey("ssh-rsa");
  for (const alg of ["ssh-rsa", "rsa-sha2-256", "rsa-sha2-512"]) {
    assert(verifyHostSignature(rsa.blob, SID, rsa.sign(SID, alg)), alg);
  }
  const ed = hostKey("ssh-ed25519");
  const p256 = hostKey("ecdsa-sha2-nistp256");
  // an Ed25519 signature under an RSA key, a P-256 key named as P-384: false, no throw
  assert(!verifyHostSignature(rsa.blob, SID, ed.sign(SID)));
  assert(!verifyHostSignature(p256.blob.slice(0, 20), SID, p256.sign(SID)));
  assert(!verifyHostSignature(p256.blob, SID, concat(p256.sign(SID), Uint8Array.of(0))));
  assert(!verifyHostSignature(Uint8Array.of(1, 2, 3), SID, ed.sign(SID)));
  // OpenSSH refuses RSA host keys under 1024 bits
  const small = hostKey("ssh-rsa", 768);
  assert(!verifyHostSignature(small.blob, SID, small.sign(SID)));
});

Deno.test("session-bind rules: no binding after one for authentication; same id twice; limits", () => {
  const a = hostKey("ssh-ed25519");
  const b = hostKey("ssh-ed25519");
  const sid = (n: number) => new Uint8Array(32).fill(n);

  const fwd = new SessionBinds();
  assertEquals(fwd.bind(request(sessionBindBody(a, sid(1), true))), undefined);
  // the same id and key again: accepted, recorded once
  assertEquals(fwd.bind(request(sessionBindBody(a, sid(1), true))), undefined);
  // the same id under another key: refused
  assert(fwd.bind(request(sessionBindBody(b, sid(1), true))));
  // the next hop authenticates: recorded; after it, nothing more binds
  assertEquals(fwd.bind(request(sessionBindBody(b, sid(2), false))), undefined);
  assert(fwd.bind(request(sessionBindBody(a, sid(3), true))));
  assertEquals(fwd.list.map((x) => x.forwarding), [true, false]);
  assert(fwd.forwarded, "a forwarded hop stays forwarded, whatever binds after it");

  const many = new SessionBinds();
  for (let i = 0; i < MAX_SESSION_BINDS; i++) {
    assertEquals(many.bind(request(sessionBindBody(a, sid(i), true))), undefined);
  }
  assertEquals(many.bind(request(sessionBindBody(a, sid(99), true))), "too many session bindings");

  const long = new SessionBinds();
  const id = new Uint8Array(129);
  assertEquals(
    long.bind(request(sessionBindBody(a, id, false))),
    "session identifier too long",
  );
  assertEquals(
    new SessionBinds().bind(request(sessionBindBody(a, id.subarray(1), false))),
    undefined,
  );
});
