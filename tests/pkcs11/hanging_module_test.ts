/**
 * A module that hangs (tests/pkcs11/testdata/hanging_module.c, built with gcc): loading it fails
 * with an error naming the module and the function once the timeout passes, instead of
 * blocking the daemon. Ignored (and reported) without gcc.
 * @module
 */

import { match as assertMatch, ok as assert, rejects } from "node:assert/strict";
import { Pkcs11Module, Pkcs11ModuleError } from "../../ffi/mod.ts";

const SOURCE = new URL("./testdata/hanging_module.c", import.meta.url).pathname;

function haveGcc(): boolean {
  try {
    return new Deno.Command("gcc", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const ignore = !haveGcc();
if (ignore) console.error("hanging_module_test: needs gcc");

Deno.test({
  name: "Pkcs11Module.load() gives up on a C_Initialize that does not return",
  ignore,
  sanitizeOps: false, // the stuck call's worker thread outlives the test by design
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "scd-ts-hang-" });
    try {
      const lib = `${dir}/libhang.so`;
      const cc = await new Deno.Command("gcc", {
        args: ["-shared", "-fPIC", "-o", lib, SOURCE],
      }).output();
      assert(cc.success, new TextDecoder().decode(cc.stderr));
      const started = Date.now();
      await rejects(() => Pkcs11Module.load(lib, { timeoutMs: 300 }), (e: Error) => {
        assert(e instanceof Pkcs11ModuleError);
        assertMatch(e.message, /libhang\.so: C_Initialize did not return within 300 ms/);
        return true;
      });
      assert(Date.now() - started < 2500, "the daemon did not wait for the module");
      // let the stuck call return while the library is still mapped (it must not be unmapped)
      await new Promise((r) => setTimeout(r, 3200));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
