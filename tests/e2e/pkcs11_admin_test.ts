/**
 * GENKEY and PASSWD on a SoftHSM2 token through gpg-agent (issue 23, docs/pkcs11.md): `SCD
 * GENKEY` binds the token's key without a PIN; `SCD GENKEY --force` (gnupg 2.4: `gpg-card
 * generate --force`, which sends it) makes new keys on the token, the PIN going through
 * gpg-agent's pinentry; gpg keys made from their keygrips sign, verify and decrypt. `SCD
 * PASSWD` changes the user PIN (old and new through the pinentry): gpg then signs with the new
 * PIN and fails with "Bad PIN" with the old one. Runs where tests/e2e/pkcs11_test.ts runs.
 * @module
 */

import { assertDecrypts, assertSignsAndVerifies, loopback, softHsmTestsRun } from "./_token_gpg.ts";
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { GnupgBed, HOMES_BASE } from "../bed/gnupg.ts";
import { GnupgHome } from "../bed/gnupghome.ts";
import { SoftHsm, SOFTHSM_MODULE, TOKEN_PIN } from "../bed/softhsm.ts";
import { DAEMON, GNUPG } from "./_fixture.ts";

const ignore = !softHsmTestsRun(DAEMON, GNUPG);
if (ignore) console.log(`n/a: PKCS#11 GENKEY/PASSWD e2e (needs scd-ts and SoftHSM2)`);

const NEW_PIN = "246810";

Deno.test({
  name: `PKCS#11 GENKEY and PASSWD through gpg-agent (SoftHSM2, gnupg ${GNUPG})`,
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using hsm = await SoftHsm.create(HOMES_BASE);
    await hsm.initToken("gen");
    await hsm.keypair("gen", { id: "02", label: "p256", keyType: "EC:prime256v1" });
    const bed = await GnupgBed.open(GNUPG);
    const home = await GnupgHome.create(bed, {
      daemon: "scd-ts",
      readerPort: "PKCS#11",
      scdTsEnv: { ...hsm.env, SCD_TS_PKCS11_MODULE: SOFTHSM_MODULE },
    });
    const gpg = (args: string[]) => bed.gpg(home.path, args, { timeoutMs: 120000 });
    const agent = (...lines: string[]) =>
      bed.run("gpg-connect-agent", [...lines, "/bye"], { home: home.path, timeoutMs: 120000 });
    const file = async (name: string, text: string) => {
      await Deno.writeTextFile(`${home.path}/${name}`, text);
      return `${home.path}/${name}`;
    };
    /** The keygrip LEARN lists for `ref`, and its algorithm. */
    const learned = async (ref: string) => {
      const learn = await agent("SCD LEARN --force");
      const m = new RegExp(
        `^S KEYPAIRINFO ([0-9A-F]{40}) ${ref.replace(".", "\\.")} \\S+ \\d+ (\\S+)`,
        "m",
      )
        .exec(learn.stdout);
      assert(m, `no KEYPAIRINFO for ${ref}:\n${learn.stdout}`);
      return { grip: m[1]!, algo: m[2]! };
    };
    const message = await file("message.txt", "signed by a generated token key\n");
    try {
      await t.step("gpg --card-status finds the token", async () => {
        const status = await gpg(["--card-status"]);
        assertEquals(status.code, 0, status.stderr);
        assertMatch(status.stdout, /PKCS#11 libsofthsm2\.so gen/);
      });

      await t.step("SCD GENKEY without --force binds the key there, asking no PIN", async () => {
        await home.pinentry.script([]);
        const bound = await agent("SCD GENKEY P11.02");
        assertMatch(bound.stdout, /^S KEY-CREATED-AT \d+$/m, bound.stdout + bound.stderr);
        assertMatch(bound.stdout, /^S KEY-DATA q 04[0-9A-F]{128}$/m);
        assertMatch(bound.stdout, /^S KEY-DATA curve 082A8648CE3D030107$/m);
        assertEquals(await home.pinentry.consumed(), 0);
        const none = await agent("SCD GENKEY P11.40");
        assertMatch(none.stdout, /^ERR \d+/m);
      });

      const made = new Map<string, string>(); // algo → keygrip
      await t.step("GENKEY --force makes P-256 and Ed25519 keys on the token", async () => {
        // a second answer in case the daemon's PIN cache is off
        await home.pinentry.script([{ pin: TOKEN_PIN }, { pin: TOKEN_PIN }]);
        const p256 = await agent("SCD GENKEY --force --algo=nistp256 P11.30");
        assertMatch(p256.stdout, /^S KEY-DATA q 04/m, p256.stdout + p256.stderr);
        assertMatch(p256.stdout, /^OK$/m);
        assertEquals(await home.pinentry.consumed(), 1, "the PIN came from the pinentry");
        if (GNUPG === "2.4") {
          // gpg-card sends `SCD GENKEY --force --algo=ed25519 -- P11.31`, then re-reads the card
          const card = await bed.run(
            "gpg-card",
            ["--no-history", "generate", "--force", "--algo=ed25519", "P11.31"],
            { home: home.path, timeoutMs: 120000 },
          );
          assertEquals(card.code, 0, card.stdout + card.stderr);
        } else {
          const ed = await agent("SCD GENKEY --force --algo=ed25519 P11.31");
          assertMatch(ed.stdout, /^S KEY-DATA q 40[0-9A-F]{64}$/m, ed.stdout + ed.stderr);
        }
        for (const ref of ["P11.30", "P11.31"]) {
          const { grip, algo } = await learned(ref);
          made.set(algo, grip);
        }
        assertEquals([...made.keys()].sort(), ["ed25519", "nistp256"]);
      });

      await t.step("gpg keys from the new keygrips sign, verify and decrypt", async () => {
        // gpg-agent makes the key stubs of the new keys here (LEARN --sendinfo)
        assertEquals((await gpg(["--card-status"])).code, 0);
        const batch = [
          "Key-Type: ECDSA",
          "Key-Curve: nistp256",
          `Key-Grip: ${made.get("nistp256")}`,
          "Key-Usage: sign",
          "Subkey-Type: ECDH",
          "Subkey-Curve: nistp256",
          `Subkey-Grip: ${made.get("nistp256")}`,
          "Subkey-Usage: encrypt",
          "Name-Real: Generated P-256",
          "Expire-Date: 0",
          "%commit",
          "Key-Type: EDDSA",
          "Key-Curve: ed25519",
          `Key-Grip: ${made.get("ed25519")}`,
          "Key-Usage: sign",
          "Name-Real: Generated Ed25519",
          "Expire-Date: 0",
          "%commit",
          "",
        ].join("\n");
        const gen = await gpg([...loopback(TOKEN_PIN), "--gen-key", await file("p", batch)]);
        assertEquals(gen.code, 0, gen.stderr);
        await assertSignsAndVerifies(gpg, TOKEN_PIN, message, [
          "Generated P-256",
          "Generated Ed25519",
        ]);
        await assertDecrypts(gpg, TOKEN_PIN, message, "signed by a generated token key\n", [
          "Generated P-256",
        ]);
      });

      await t.step(
        "SCD PASSWD changes the user PIN: the old one fails, the new one signs",
        async () => {
          // 2.2's agent asks for the new PIN once more itself ("Repeat this PIN")
          await home.pinentry.script([{ pin: TOKEN_PIN }, { pin: NEW_PIN }, { pin: NEW_PIN }]);
          await home.pinentry.clearLog();
          const changed = await agent("SCD PASSWD P11.USER");
          const prompts = await home.pinentry.prompts();
          assertMatch(changed.stdout, /^OK$/m, changed.stdout + JSON.stringify(prompts, null, 1));
          assert(prompts.some((p) => /^Please enter the new PIN/.test(p.desc ?? "")));
          const sign = (pin: string, out: string) =>
            gpg([...loopback(pin), "-u", "Generated P-256", "--detach-sign", "-o", out, message]);
          const old = await sign(TOKEN_PIN, `${message}.old.sig`);
          assert(old.code !== 0);
          assertMatch(old.stderr, /Bad PIN/i);
          const fresh = await sign(NEW_PIN, `${message}.new.sig`);
          assertEquals(fresh.code, 0, fresh.stderr);
        },
      );
    } finally {
      await home.close();
      await bed.close();
    }
  },
});
