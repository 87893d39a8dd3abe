/**
 * What the command layer must not hold (issue 20). It names no OpenPGP key slot (issue 20; design.md §2.6): which slot a key
 * reference means, its UIF DO and the like belong to the application, so that a PKCS#11
 * token plugs in behind the same contract. Help texts quoting stock's key ids (OPENPGP.1)
 * are wire documentation and stay; code that maps them to slots does not.
 */
import { ok as assert } from "node:assert/strict";

const FORBIDDEN: readonly [RegExp, string][] = [
  [/OPENPGP\\\.\(?\[/, "a pattern that picks a key slot out of OPENPGP.n"],
  [/\b(?:keyRefSlot|openPgpSlot|slotKeyRef|SLOT_USAGE|uifEnabled)\b/, "an OpenPGP slot helper"],
  [/\b0x[dD][678]\b/, "a UIF data object tag (D6–D8)"],
  [/\bslot\s*===?\s*[012]\b/, "a comparison with a key slot number"],
  // what the daemon knows lives in the card model and in objects the assembly makes
  [/^(?:export )?(?:const|let) \w+ = new WeakMap\b/, "a module-level WeakMap cache"],
  [/globalThis\.addEventListener\("unload"/, "a process-exit hook in the command layer"],
];

async function* productFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* productFiles(path);
    else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) yield path;
  }
}

Deno.test("src/scd holds no OpenPGP key-slot logic and no module-level caches", async () => {
  const root = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
  const found: string[] = [];
  for await (const path of productFiles(root)) {
    const lines = (await Deno.readTextFile(path)).split("\n");
    for (const [i, line] of lines.entries()) {
      for (const [pattern, what] of FORBIDDEN) {
        if (pattern.test(line)) found.push(`${path}:${i + 1}: ${what}: ${line.trim()}`);
      }
    }
  }
  assert(found.length === 0, found.join("\n"));
});
