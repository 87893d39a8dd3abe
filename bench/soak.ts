/**
 * `deno task soak`: sign in a loop through scd-ts while another PC/SC client keeps using the
 * same reader, and report successes, failures and latency. For real hardware as much as for
 * the virtual card:
 *
 *   deno task soak --reader "Yubico YubiKey" --count 500 --pin-file ~/pin.txt
 *   deno task soak --virtual --count 50          # built-in card in process, no pcscd
 *
 * scd-ts runs as `--server` on a pipe in a throwaway GNUPGHOME; the user PIN is asked once
 * (from --pin-file, or typed; the virtual card's is 123456) and then comes from scd-ts's own
 * PIN cache, as with gpg-agent. The other client is `opensc-tool -s` (SELECT of the OpenPGP
 * application) in a loop when installed, else an in-process PC/SC client doing the same.
 * @module
 */

import { parseArgs } from "node:util";
import { withCard } from "../src/pcsc/mod.ts";
import { USER_PIN } from "../tests/support/fixtures.ts";
import { AssuanChild } from "./assuan.ts";
import { p50p95, round } from "./stats.ts";

const HELP = `Usage: deno task soak [--reader R | --virtual] [--count N] [--pin-file F]
  [--key OPENPGP.1] [--no-client] [--json]`;

const SELECT = "00A4040006D27600012401";

interface Outcome {
  signs: { ok: number; failed: number; errors: Record<string, number>; latency_ms: object };
  client: { ok: number; failed: number; tool: string } | null;
}

function randomHex(n: number): string {
  return [...crypto.getRandomValues(new Uint8Array(n))]
    .map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

async function userPin(file: string | undefined, virtual: boolean): Promise<string> {
  if (file) return (await Deno.readTextFile(file)).split("\n")[0]!.trim();
  if (virtual) return USER_PIN;
  const typed = prompt("User PIN of the card:");
  if (!typed) throw new Error("Cannot soak without the user PIN (--pin-file FILE)");
  return typed;
}

/** opensc-tool's number for the reader whose name contains `reader` (`opensc-tool -l`). */
async function openscNumber(reader: string): Promise<string | undefined> {
  const list = await new Deno.Command("opensc-tool", { args: ["-l"], stdout: "piped" }).output();
  const line = new TextDecoder().decode(list.stdout).split("\n")
    .find((l) => /^\d+\s/.test(l) && l.includes(reader));
  return line?.trim().split(/\s+/)[0];
}

/** Another PC/SC client: SELECTs in a loop until `stop` is aborted. */
async function otherClient(reader: string, stop: AbortSignal) {
  const number = hasOpenscTool() ? await openscNumber(reader) : undefined;
  const tool = number !== undefined ? "opensc-tool" : "in-process PC/SC";
  const counts = { ok: 0, failed: 0, tool };
  while (!stop.aborted) {
    try {
      if (tool === "opensc-tool") {
        const out = await new Deno.Command("opensc-tool", {
          args: ["--reader", number!, "-s", SELECT.match(/../g)!.join(":")],
          stdout: "piped",
          stderr: "piped",
        }).output();
        if (out.code === 0) counts.ok++;
        else counts.failed++;
      } else {
        const sel = Uint8Array.from(SELECT.match(/../g)!.map((h) => parseInt(h, 16)));
        await withCard(reader, (ch) => ch.transmit(sel), { retry: false });
        counts.ok++;
      }
    } catch {
      counts.failed++;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return counts;
}

function hasOpenscTool(): boolean {
  try {
    return new Deno.Command("opensc-tool", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().code === 0;
  } catch {
    return false;
  }
}

async function soak(o: {
  reader: string | undefined;
  virtual: boolean;
  count: number;
  pin: string;
  key: string;
  client: boolean;
}): Promise<Outcome> {
  const home = await Deno.makeTempDir({ prefix: "scd-ts-soak-" });
  const readerSetting = o.virtual ? `virtual:${home}/card.json` : o.reader ?? "";
  const daemon = AssuanChild.spawn(Deno.execPath(), [
    "run",
    "-A",
    new URL("../main.ts", import.meta.url).pathname,
    "--server",
  ], { GNUPGHOME: home, SCD_TS_READER: readerSetting, PATH: Deno.env.get("PATH") ?? "" });
  const pinReply = (q: string) => (q.startsWith("NEEDPIN") ? [`${o.pin}%00`] : []);
  const stop = new AbortController();
  try {
    await daemon.greeting();
    await daemon.ok("SERIALNO");
    if (o.virtual) {
      await daemon.ok(
        `GENKEY --force ${o.key}`,
        (q) => q.startsWith("NEEDPIN") ? ["12345678%00"] : [],
      );
    }
    const client = o.client && !o.virtual && o.reader ? otherClient(o.reader, stop.signal) : null;
    const times: number[] = [];
    const errors: Record<string, number> = {};
    for (let i = 0; i < o.count; i++) {
      const t = performance.now();
      await daemon.ok(`SETDATA ${randomHex(32)}`);
      const last = (await daemon.transact(`PKSIGN --hash=sha256 ${o.key}`, pinReply)).at(-1)!;
      if (last.startsWith("OK")) times.push(performance.now() - t);
      else {
        const code = last.split(" ").slice(0, 2).join(" ");
        errors[code] = (errors[code] ?? 0) + 1;
      }
    }
    stop.abort();
    const failed = Object.values(errors).reduce((a, b) => a + b, 0);
    const { p50, p95 } = p50p95(times);
    return {
      signs: {
        ok: times.length,
        failed,
        errors,
        latency_ms: { p50, p95, max: round(Math.max(...times, 0)) },
      },
      client: client ? await client : null,
    };
  } finally {
    stop.abort();
    await daemon.close();
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      reader: { type: "string" },
      virtual: { type: "boolean" },
      count: { type: "string" },
      "pin-file": { type: "string" },
      key: { type: "string" },
      "no-client": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help || (!values.reader && !values.virtual)) {
    console.log(HELP);
    Deno.exit(values.help ? 0 : 2);
  }
  const count = Number(values.count ?? 100);
  if (!Number.isInteger(count) || count < 1) throw new Error(`Cannot soak ${values.count} times`);
  const out = await soak({
    reader: values.reader,
    virtual: values.virtual ?? false,
    count,
    pin: await userPin(values["pin-file"], values.virtual ?? false),
    key: values.key ?? "OPENPGP.1",
    client: !values["no-client"],
  });
  if (values.json) console.log(JSON.stringify(out));
  else {
    const s = out.signs, l = s.latency_ms as Record<string, number>;
    console.log(`signs: ${s.ok} ok, ${s.failed} failed ${JSON.stringify(s.errors)}`);
    console.log(`latency ms: p50 ${l.p50}  p95 ${l.p95}  max ${l.max}`);
    if (out.client) {
      console.log(
        `other client (${out.client.tool}): ${out.client.ok} ok, ${out.client.failed} failed`,
      );
    }
  }
  Deno.exit(out.signs.failed === 0 ? 0 : 1);
}
