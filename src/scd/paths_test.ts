import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { homedirHashDir, resolveHomedir, socketDir, zbase32 } from "./paths.ts";

Deno.test("zbase32() matches gnupg's zb32 (WKD hash of joe.doe)", async () => {
  // gpg-wks-client --print-wkd-hash joe.doe@example.org → iy9q119eutrkn8s1mk4r39qejnbu3n5q
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-1", new TextEncoder().encode("joe.doe")),
  );
  assertEquals(zbase32(digest, 160), "iy9q119eutrkn8s1mk4r39qejnbu3n5q");
  assertEquals(zbase32(digest, 120), "iy9q119eutrkn8s1mk4r39qe");
});

Deno.test("resolveHomedir() prefers --homedir, then GNUPGHOME, then ~/.gnupg", () => {
  const env = (n: string) =>
    ({ HOME: "/home/u", GNUPGHOME: "rel/g/" } as Record<string, string>)[n];
  assertEquals(resolveHomedir("/opt/h//", { env, cwd: "/cwd" }), "/opt/h");
  assertEquals(resolveHomedir(undefined, { env, cwd: "/cwd" }), "/cwd/rel/g");
  assertEquals(
    resolveHomedir(undefined, { env: (n) => n === "HOME" ? "/home/u" : undefined, cwd: "/" }),
    "/home/u/.gnupg",
  );
});

Deno.test("socketDir() uses <base>/user/<uid>/gnupg[/d.hash] when it exists, else the homedir", async () => {
  const base = await Deno.makeTempDir();
  try {
    const probe = `${base}/probe`;
    await Deno.writeTextFile(probe, "");
    const uid = (await Deno.stat(probe)).uid!;
    const env = (n: string) => n === "HOME" ? "/home/u" : undefined;
    const opts = { env, uid, bases: [base] };
    assertEquals(await socketDir("/tmp/h", opts), "/tmp/h"); // no <base>/user/<uid>
    await Deno.mkdir(`${base}/user/${uid}`, { recursive: true, mode: 0o700 });
    assertEquals(await socketDir("/home/u/.gnupg", opts), `${base}/user/${uid}/gnupg`);
    const hashed = `${base}/user/${uid}/gnupg/${homedirHashDir("/tmp/h")}`;
    assertEquals(await socketDir("/tmp/h", opts), hashed);
    assertEquals(((await Deno.stat(hashed)).mode ?? 0) & 0o777, 0o700);
    assertEquals(homedirHashDir("/tmp/h").length, 2 + 24);
    assertEquals(await socketDir("/tmp/h", { env, uid: null }), "/tmp/h");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
