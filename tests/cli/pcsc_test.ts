/**
 * probe and doctor against real pcscd: `probe info --json` on the virtual card behind vpcd,
 * and doctor's diagnoses with their fixes for "no reader", "pcscd stopped" and "card held
 * exclusively by another process". All on a pcscd of this file's own (tests/cli/_private_pcscd.ts),
 * never the machine's; probe and doctor run as child processes pointed at it.
 * @module
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { withCard } from "../../src/pcsc/mod.ts";
import { connectExclusively, tryExclusive, waitForCard } from "../bed/exclusive_client.ts";
import { startVcard } from "../bed/vcard.ts";
import { ADMIN_PIN } from "../support/fixtures.ts";
import { CLI_READER, CLI_SOCKET, CLI_VPCD_PORT, CliPcscd } from "./_private_pcscd.ts";
import { CLI_MAIN, scdTsJson } from "./_run.ts";

// this process's own PC/SC calls (card setup, the exclusive holder) go to the private pcscd;
// libpcsclite reads the variable once, at its first connection
Deno.env.set("PCSCLITE_CSOCK_NAME", CLI_SOCKET);
const ENV = { PCSCLITE_CSOCK_NAME: CLI_SOCKET };
const SERIAL = "C11C0001";

interface CardRetries {
  pinRetries: { user: number };
  signatureCounter: number;
}

interface Finding {
  id: string;
  level: string;
  detail: string;
  fix?: string;
}

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.replace(/ /g, "").match(/../g)!.map((h) => parseInt(h, 16)));
}

function apdu(head: string, data: Uint8Array): Uint8Array {
  return Uint8Array.of(...hex(head), data.length, ...data);
}

async function findings(homedir: string): Promise<Finding[]> {
  const r = await scdTsJson<{ ok: boolean; findings: Finding[] }>(
    ["probe", "doctor", "--homedir", homedir],
    ENV,
  );
  return r.json.findings;
}

function only(list: Finding[], id: string): Finding {
  const f = list.find((x) => x.id === id);
  assert(f !== undefined, `no finding ${id} in ${JSON.stringify(list, null, 1)}`);
  return f;
}

/** Personalises the card as gpg would: name, URL, login, an ed25519 key with fingerprint. */
async function personalise(): Promise<{ fpr: string; time: number }> {
  const enc = new TextEncoder();
  const fpr = "0123456789ABCDEF0123456789ABCDEF01234567";
  const time = 1700000000;
  await withCard(CLI_READER, async (ch) => {
    const send = async (cmd: Uint8Array) => {
      const r = await ch.transmit(cmd);
      const sw = (r[r.length - 2]! << 8) | r[r.length - 1]!;
      if (sw !== 0x9000) throw new Error(`APDU ${[...cmd.slice(0, 4)]} failed: ${sw.toString(16)}`);
      return r;
    };
    await send(apdu("00A40400", hex("D27600012401")));
    await send(apdu("00200083", enc.encode(ADMIN_PIN)));
    await send(apdu("00DA005B", enc.encode("Tester<<Probe")));
    await send(apdu("00DA5F50", enc.encode("https://example.org/key.asc")));
    await send(apdu("00DA005E", enc.encode("probe")));
    await send(apdu("00DA00C1", hex("16 2B 06 01 04 01 DA 47 0F 01"))); // EdDSA ed25519
    await send(Uint8Array.of(0x00, 0x47, 0x80, 0x00, 0x02, 0xb6, 0x00, 0x00));
    await send(apdu("00DA00C7", hex(fpr)));
    await send(apdu("00DA00CE", hex(time.toString(16).padStart(8, "0"))));
  });
  return { fpr, time };
}

/** Waits until nobody holds the card exclusively (a killed scdaemon lets go soon after). */
async function waitForShared(): Promise<void> {
  const deadline = Date.now() + 10000;
  while ((await tryExclusive(CLI_READER)) !== "SCARD_S_SUCCESS") {
    if (Date.now() > deadline) throw new Error("the card stayed held after the agent was killed");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Holds the card in `reader` with an exclusive connect until the returned function runs. */
async function holdExclusively(reader: string): Promise<() => Promise<void>> {
  const { code, release } = await connectExclusively(reader);
  assertEquals(code, "SCARD_S_SUCCESS", "the test's exclusive connect");
  return release;
}

Deno.test({
  name: "probe and doctor through a private pcscd",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const pcscd = new CliPcscd();
    const home = await Deno.makeTempDir({ prefix: "scd-ts-cli-home-" });
    try {
      await t.step("doctor: no reader, with the fix", async () => {
        await pcscd.start({ vpcd: false });
        const f = only(await findings(home), "no-reader");
        assertEquals(f.level, "fail");
        assert(f.fix?.includes("pcsc_scan"), f.fix);
      });

      await t.step("doctor: pcscd stopped, with the fix", async () => {
        await pcscd.stop();
        const list = await findings(home);
        const f = only(list, "pcscd-unreachable");
        assertEquals(f.level, "fail");
        assert(f.detail.includes("SCARD_E_NO_SERVICE"), f.detail);
        assert(f.fix?.includes("systemctl start pcscd"), f.fix);
        assertEquals(list.some((x) => x.id === "readers"), false);
      });

      await pcscd.start({ vpcd: true });
      const card = await startVcard({
        port: CLI_VPCD_PORT,
        statePath: `${home}/card.json`,
        serial: SERIAL,
      });
      try {
        await waitForCard(CLI_READER, true);
        const { fpr, time } = await personalise();

        await t.step("probe info --json shows the card's fields", async () => {
          const { code, json } = await scdTsJson<Record<string, unknown>>(
            ["probe", "info", "--reader", CLI_READER],
            ENV,
          );
          assertEquals(code, 0);
          const keys = json.keys as Record<string, unknown>[];
          const grip = keys[0]!.keygrip;
          assert(typeof grip === "string" && /^[0-9A-F]{40}$/.test(grip), String(grip));
          assertEquals({ ...json, keys: undefined }, {
            reader: CLI_READER,
            aid: `D276000124010304FFFE${SERIAL}0000`,
            serial: `FFFE ${SERIAL}`,
            manufacturer: "unmanaged S/N range",
            specVersion: "3.4",
            cardholder: "Probe Tester",
            url: "https://example.org/key.asc",
            login: "probe",
            keys: undefined,
            pinRetries: { user: 3, reset: 0, admin: 3 },
            pw1ValidForSeveralSignatures: true,
            signatureCounter: 0,
            kdf: false,
          });
          assertEquals(keys[0], {
            slot: "OPENPGP.1",
            usage: "sign",
            algorithm: "ed25519",
            fingerprint: fpr,
            keygrip: grip,
            created: new Date(time * 1000).toISOString(),
            uif: "off",
          });
          assertEquals(keys.slice(1).map((k) => [k.slot, k.fingerprint, k.keygrip]), [
            ["OPENPGP.2", null, null],
            ["OPENPGP.3", null, null],
          ]);
          // probe holds nothing afterwards: another program may connect exclusively
          assertEquals(await tryExclusive(CLI_READER), "SCARD_S_SUCCESS");
        });

        await t.step("probe readers --json and doctor see the card", async () => {
          const { json } = await scdTsJson<Record<string, unknown>[]>(["probe", "readers"], ENV);
          const ours = json.find((r) => r.reader === CLI_READER);
          assertEquals(ours?.openpgp, `D276000124010304FFFE${SERIAL}0000`);
          const f = only(await findings(home), "card");
          assert(f.detail.includes(`FFFE ${SERIAL}`), f.detail);
        });

        await t.step(
          "probe loop --sign: signatures with the PIN from a file, latency",
          async () => {
            await Deno.writeTextFile(`${home}/pin`, "123456\n");
            const { code, json } = await scdTsJson<Record<string, unknown>>(
              ["probe", "loop", "--count", "3", "--sign", "--pin-file", `${home}/pin`],
              ENV,
            );
            assertEquals([code, json.operation, json.ok, json.failed], [0, "sign", 3, 0]);
            const l = json.latencyMs as { p50: number; p95: number; max: number };
            assert(l.p50 > 0 && l.p50 <= l.p95 && l.p95 <= l.max, JSON.stringify(l));
            const info = await scdTsJson<{ signatureCounter: number }>(["probe", "info"], ENV);
            assertEquals(info.json.signatureCounter, 3);
          },
        );

        await t.step(
          "probe loop --sign with a wrong PIN: one try spent, never sent again",
          async () => {
            await Deno.writeTextFile(`${home}/pin`, "999999\n");
            const { code, json } = await scdTsJson<Record<string, unknown>>(
              ["probe", "loop", "--count", "5", "--sign", "--pin-file", `${home}/pin`],
              ENV,
            );
            assertEquals([code, json.ok, json.failed], [1, 0, 1]);
            const info = await scdTsJson<CardRetries>(["probe", "info"], ENV);
            assertEquals(info.json.pinRetries.user, 2);
            assertEquals(info.json.signatureCounter, 3);
            // the right PIN restores the counter, so later steps see a normal card
            await Deno.writeTextFile(`${home}/pin`, "123456\n");
            await scdTsJson([
              "probe",
              "loop",
              "--count",
              "1",
              "--sign",
              "--pin-file",
              `${home}/pin`,
            ], ENV);
            assertEquals(
              (await scdTsJson<CardRetries>(["probe", "info"], ENV)).json.pinRetries.user,
              3,
            );
          },
        );

        await t.step("probe info works while the daemon serves the same card", async () => {
          const daemon = new Deno.Command(Deno.execPath(), {
            args: ["run", "-A", "--quiet", CLI_MAIN, "--server", "--no-options"],
            env: { ...ENV, SCD_TS_READER: CLI_READER, SCD_TS_LOG_LEVEL: "error" },
            stdin: "piped",
            stdout: "piped",
            stderr: "null",
          }).spawn();
          const writer = daemon.stdin.getWriter();
          const lines = daemon.stdout.pipeThrough(new TextDecoderStream()).getReader();
          let seen = "";
          const until = async (end: string) => {
            while (!seen.includes(end)) seen += (await lines.read()).value ?? "";
          };
          try {
            await until("OK GNU Privacy Guard's Smartcard server ready");
            await writer.write(new TextEncoder().encode("LEARN --force\n"));
            await until(`S SERIALNO D276000124010304FFFE${SERIAL}0000`);
            const { code, json } = await scdTsJson<{ aid: string }>(["probe", "info"], ENV);
            assertEquals([code, json.aid], [0, `D276000124010304FFFE${SERIAL}0000`]);
            await writer.write(new TextEncoder().encode("SERIALNO\nBYE\n"));
            await until("OK closing connection");
          } finally {
            await writer.close().catch(() => {});
            await lines.cancel().catch(() => {});
            await daemon.status;
          }
        });

        await t.step("doctor: card held exclusively by another process, with the fix", async () => {
          const release = await holdExclusively(CLI_READER);
          try {
            const f = only(await findings(home), "card-held-exclusively");
            assertEquals(f.level, "fail");
            assert(f.detail.includes(CLI_READER), f.detail);
            assert(f.fix !== undefined && f.fix.length > 0);
          } finally {
            await release();
          }
          assertEquals(only(await findings(home), "card").level, "ok");
        });

        await t.step(
          "doctor: stock scdaemon holds the card; the fix is gpgconf --kill scdaemon",
          async () => {
            // gpg-agent and its stock scdaemon inherit PCSCLITE_CSOCK_NAME: they see our pcscd;
            // stock connects exclusively and keeps the card while idle (stock-observations §11)
            const agentHome = await Deno.makeTempDir({ prefix: "scd-ts-cli-stock-" });
            await Deno.chmod(agentHome, 0o700);
            await Deno.writeTextFile(
              `${agentHome}/scdaemon.conf`,
              `disable-ccid\nreader-port ${CLI_READER}\n`,
            );
            const agent = (args: string[]) =>
              new Deno.Command("gpg-connect-agent", {
                args: ["--homedir", agentHome, ...args, "/bye"],
                env: ENV,
                stdout: "piped",
                stderr: "null",
              }).output().then((o) => new TextDecoder().decode(o.stdout));
            try {
              const serial = await agent(["SCD SERIALNO", "SCD GETINFO pid"]);
              assert(serial.includes(`S SERIALNO D276000124010304FFFE${SERIAL}0000`), serial);
              const pid = /^D (\d+)$/m.exec(serial)?.[1];
              assert(pid !== undefined, serial);
              const f = only(await findings(home), "card-held-exclusively");
              assert(f.detail.includes("stock scdaemon") && f.detail.includes(pid), f.detail);
              assert(f.fix?.startsWith("gpgconf --kill scdaemon"), f.fix);
            } finally {
              await new Deno.Command("gpgconf", { args: ["--homedir", agentHome, "--kill", "all"] })
                .output();
              await Deno.remove(agentHome, { recursive: true }).catch(() => {});
            }
            await waitForShared();
            assertEquals(only(await findings(home), "card").level, "ok");
          },
        );
      } finally {
        await card.stop();
      }
    } finally {
      await pcscd.close();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});
