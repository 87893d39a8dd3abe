/**
 * Small C helpers the PKCS#11 tests build with gcc (stand-in modules, a key generator).
 * @module
 */

/** True when gcc runs. */
export function haveGcc(): boolean {
  try {
    return new Deno.Command("gcc", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Compile `source` to `out` (a shared library with `shared`), linking libdl; throws gcc's errors. */
export async function buildC(source: string, out: string, shared = false): Promise<string> {
  const args = [...(shared ? ["-shared", "-fPIC"] : []), "-o", out, source, "-ldl"];
  const cc = await new Deno.Command("gcc", { args, stdout: "piped", stderr: "piped" }).output();
  if (!cc.success) throw new Error(`gcc ${source} failed: ${new TextDecoder().decode(cc.stderr)}`);
  return out;
}
