/**
 * Compares ffi/'s struct layouts and constants with pcsc-lite's own headers: compiles a tiny C
 * probe with gcc against /usr/include/PCSC (Debian package libpcsclite-dev) that prints
 * `sizeof`/`offsetof` and every constant we define. Ignored (reported as such) when gcc or the
 * headers are missing.
 */

import assert from "node:assert/strict";
import { ABI } from "../../ffi/pcsclite_abi.ts";
import * as consts from "../../ffi/pcsclite_consts.ts";
import { existsSync as exists } from "../support/fixtures.ts";

const HEADER_DIR = "/usr/include/PCSC";

function which(cmd: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((d) => exists(`${d}/${cmd}`));
}

const ready = which("gcc") && exists(`${HEADER_DIR}/winscard.h`) &&
  exists(`${HEADER_DIR}/reader.h`);
if (!ready) {
  console.error("abi_probe_test: needs gcc and libpcsclite-dev headers in /usr/include/PCSC");
}

/** Every numeric constant of ffi/pcsclite_consts.ts, by its C name. */
function constantNames(): [string, number][] {
  const out: [string, number][] = Object.entries(consts.SCARD_RETURN_CODES);
  for (const [name, value] of Object.entries(consts)) {
    if (typeof value === "number" && /^(SCARD_|MAX_|CM_IOCTL_|FEATURE_|INFINITE$)/.test(name)) {
      out.push([name, value]);
    }
  }
  return out;
}

function probeSource(names: string[]): string {
  const lines = [
    "#include <stdio.h>",
    "#include <stddef.h>",
    "#include <stdint.h>",
    "#include <winscard.h>",
    "#include <reader.h>",
    '#define N(x) printf("\\"%s\\":%lu,", #x, (unsigned long)(uint32_t)(x))',
    '#define S(k, v) printf("\\"%s\\":%lu,", k, (unsigned long)(v))',
    "int main(void) {",
    '  printf("{");',
    '  S("rs.size", sizeof(SCARD_READERSTATE));',
    ...["szReader", "pvUserData", "dwCurrentState", "dwEventState", "cbAtr", "rgbAtr"].map(
      (f) => `  S("rs.${f}", offsetof(SCARD_READERSTATE, ${f}));`,
    ),
    '  S("io.size", sizeof(SCARD_IO_REQUEST));',
    '  S("io.dwProtocol", offsetof(SCARD_IO_REQUEST, dwProtocol));',
    '  S("io.cbPciLength", offsetof(SCARD_IO_REQUEST, cbPciLength));',
    '  S("sizeof.DWORD", sizeof(DWORD));',
    '  S("sizeof.LONG", sizeof(LONG));',
    '  S("sizeof.SCARDCONTEXT", sizeof(SCARDCONTEXT));',
    '  S("sizeof.SCARDHANDLE", sizeof(SCARDHANDLE));',
    ...names.map((n) => `  N(${n});`),
    '  printf("\\"end\\":0}\\n");',
    "  return 0;",
    "}",
  ];
  return lines.join("\n") + "\n";
}

Deno.test({
  name: "pcsclite_abi.ts and pcsclite_consts.ts match pcsc-lite's headers (offsetof probe)",
  ignore: !ready || Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "scd-ts-abi-" });
    try {
      const all = constantNames();
      await Deno.writeTextFile(`${dir}/probe.c`, probeSource(all.map(([n]) => n)));
      const cc = await new Deno.Command("gcc", {
        args: ["-I", HEADER_DIR, "-o", `${dir}/probe`, `${dir}/probe.c`],
        stderr: "piped",
      }).output();
      assert.equal(cc.code, 0, new TextDecoder().decode(cc.stderr));
      const run = await new Deno.Command(`${dir}/probe`, { stdout: "piped" }).output();
      const got = JSON.parse(new TextDecoder().decode(run.stdout)) as Record<string, number>;

      const rs = ABI.readerState;
      assert.deepEqual(
        {
          size: got["rs.size"],
          szReader: got["rs.szReader"],
          pvUserData: got["rs.pvUserData"],
          dwCurrentState: got["rs.dwCurrentState"],
          dwEventState: got["rs.dwEventState"],
          cbAtr: got["rs.cbAtr"],
          rgbAtr: got["rs.rgbAtr"],
        },
        { ...rs },
      );
      assert.deepEqual(
        {
          size: got["io.size"],
          dwProtocol: got["io.dwProtocol"],
          cbPciLength: got["io.cbPciLength"],
        },
        { ...ABI.ioRequest },
      );
      for (const t of ["DWORD", "LONG", "SCARDCONTEXT", "SCARDHANDLE"]) {
        assert.equal(got[`sizeof.${t}`], ABI.wordSize, `sizeof(${t})`);
      }
      for (const [name, value] of all) {
        assert.equal(got[name], value >>> 0, name);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
