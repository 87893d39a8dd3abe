/**
 * The libc binding's pure parts and its failure without --allow-ffi. The calls themselves run
 * in a child process (they would harden the test runner): tests/e2e/core_dump_test.ts.
 */
import assert from "node:assert/strict";
import {
  decodeRlimit,
  encodeRlimit,
  LIBC_SYMBOLS,
  LibcError,
  openLibc,
  RLIMIT_SIZE,
} from "./libc.ts";

function granted(name: "ffi"): boolean {
  return Deno.permissions.querySync({ name }).state === "granted";
}

Deno.test("encodeRlimit() writes struct rlimit as two native unsigned longs", () => {
  const bytes = encodeRlimit({ soft: 0n, hard: 0xffff_ffff_ffff_ffffn });
  assert.equal(bytes.length, RLIMIT_SIZE);
  assert.deepEqual([...bytes], [0, 0, 0, 0, 0, 0, 0, 0, ...new Array(8).fill(0xff)]);
  assert.deepEqual(decodeRlimit(encodeRlimit({ soft: 1024n, hard: 4096n })), {
    soft: 1024n,
    hard: 4096n,
  });
});

Deno.test("LIBC_SYMBOLS gives prctl its five register-wide arguments, none nonblocking", () => {
  assert.deepEqual(LIBC_SYMBOLS.prctl.parameters, ["i32", "u64", "u64", "u64", "u64"]);
  for (const [name, def] of Object.entries(LIBC_SYMBOLS)) {
    assert.equal("nonblocking" in def, false, `${name} must run on the calling thread (errno)`);
  }
});

Deno.test({
  name:
    "openLibc() without --allow-ffi throws a LibcError that says so (the daemon warns, goes on)",
  ignore: granted("ffi"),
  fn() {
    assert.throws(() => openLibc(), (e) => e instanceof LibcError && /--allow-ffi/.test(e.message));
  },
});
