/**
 * The built-in card's profile option (SCD_TS_VIRTUAL_PROFILE, docs/cards.md) as a user meets
 * it: `probe info --reader virtual:STATEFILE` and the daemon on `SCD_TS_READER=virtual:…` both
 * show the profile's card, and a state file made for one profile refuses another.
 * @module
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { CLI_MAIN, scdTs, scdTsJson } from "./_run.ts";

interface Info {
  aid: string;
  manufacturer: string;
  version: string;
}

/** One `--server` session: sends `lines`, returns what the daemon answered. */
async function serve(env: Record<string, string>, lines: string[]): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI_MAIN, "--server"],
    env: { NO_COLOR: "1", SCD_TS_LOG_LEVEL: "error", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.map((l) => `${l}\n`).join("")));
  await writer.close();
  const out = await child.output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("SCD_TS_VIRTUAL_PROFILE picks the built-in card's profile for probe and the daemon", async () => {
  const dir = await Deno.makeTempDir({ prefix: "scd-ts-vprofile-" });
  try {
    const reader = `virtual:${dir}/gnuk.json`;
    const { code, json } = await scdTsJson<Info>(["probe", "info", "--reader", reader], {
      SCD_TS_VIRTUAL_PROFILE: "gnuk",
    });
    assertEquals(code, 0);
    // gnuk profile: OpenPGP 2.0, manufacturer F517 (docs/cards.md)
    assert(json.aid.startsWith("D276000124010200F517"), json.aid);
    assertEquals(json.manufacturer, "FSIJ");

    const answer = await serve(
      { SCD_TS_READER: reader, SCD_TS_VIRTUAL_PROFILE: "gnuk" },
      ["SERIALNO", "BYE"],
    );
    assert(/^S SERIALNO D276000124010200F517[0-9A-F]{12}$/m.test(answer), answer);

    const refused = await scdTs(["probe", "info", "--reader", reader], {
      SCD_TS_VIRTUAL_PROFILE: "yubikey5",
    });
    assert(refused.code !== 0, "a gnuk state file opened as yubikey5 must fail");
    assert(/gnuk/.test(refused.stdout + refused.stderr), refused.stdout + refused.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unknown SCD_TS_VIRTUAL_PROFILE is an error that lists the profiles", async () => {
  const dir = await Deno.makeTempDir({ prefix: "scd-ts-vprofile-" });
  try {
    const r = await scdTs(["probe", "info", "--reader", `virtual:${dir}/x.json`], {
      SCD_TS_VIRTUAL_PROFILE: "no-such-card",
    });
    assert(r.code !== 0);
    assert(/openpgp34/.test(r.stdout + r.stderr), r.stdout + r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
