/**
 * doctor's "gpg-agent points at another scdaemon" and `install`/`uninstall` with the real
 * gpg-agent (host gnupg): install points gpg-agent at scd-ts, reloads it and proves through
 * `gpg-connect-agent 'SCD GETINFO version'` that scd-ts answers; a second install changes
 * nothing; uninstall leaves gpg-agent.conf byte-identical to before. scd-ts uses the built-in
 * card (scd-ts.conf `reader virtual:…`) and stock scdaemon a reader that does not exist, so
 * neither touches the machine's pcscd readers.
 * @module
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { CLI_MAIN, scdTs, scdTsJson } from "./_run.ts";

interface Finding {
  id: string;
  level: string;
  detail: string;
  fix?: string;
}

interface InstallResult {
  changed: boolean;
  ok: boolean;
  scdTsAnswers: boolean | null;
  answered: { version?: string; pid?: number; error?: string } | null;
  backup: string | null;
}

const BEFORE =
  "# my settings\ndefault-cache-ttl 600\n\nscdaemon-program /usr/lib/gnupg/scdaemon\n" +
  "allow-loopback-pinentry"; // no final newline: the hardest case for byte identity

/** The host gpg-agent's version, from its own `--version`. */
async function hostAgentVersion(): Promise<string | undefined> {
  const out = await new Deno.Command("gpg-agent", { args: ["--version"], stdout: "piped" })
    .output();
  return /^gpg-agent \(GnuPG\) (\d+\.\d+\.\d+)/.exec(new TextDecoder().decode(out.stdout))?.[1];
}

async function newHome(agentConf: string | undefined): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "scd-ts-cli-agent-" });
  await Deno.chmod(home, 0o700);
  if (agentConf !== undefined) await Deno.writeTextFile(`${home}/gpg-agent.conf`, agentConf);
  await Deno.writeTextFile(`${home}/scd-ts.conf`, `reader virtual:${home}/card.json\n`);
  await Deno.writeTextFile(`${home}/scdaemon.conf`, "disable-ccid\nreader-port no-such-reader\n");
  return home;
}

async function closeHome(home: string): Promise<void> {
  await new Deno.Command("gpgconf", { args: ["--homedir", home, "--kill", "all"] }).output();
  await Deno.remove(home, { recursive: true }).catch(() => {});
}

async function agentFinding(home: string): Promise<Finding> {
  const r = await scdTsJson<{ findings: Finding[] }>(
    ["probe", "doctor", "--homedir", home, "--reader", "virtual:"],
  );
  const f = r.json.findings.find((x) => x.id.startsWith("agent"));
  assert(f !== undefined, r.stdout);
  return f;
}

Deno.test("doctor: gpg-agent with no scdaemon-program runs stock scdaemon; fix is install", async () => {
  const home = await newHome("default-cache-ttl 600\n");
  try {
    const f = await agentFinding(home);
    assertEquals([f.id, f.level, f.fix], [
      "agent-uses-stock",
      "warn",
      `scd-ts install --homedir ${home}`,
    ]);
    assert(f.detail.includes("(gpgconf: /"), f.detail); // stock's path from gpgconf
  } finally {
    await closeHome(home);
  }
});

Deno.test("doctor: gpg-agent pointing at another scdaemon; fix is install", async () => {
  const home = await newHome("scdaemon-program /usr/lib/gnupg/scdaemon\n");
  try {
    const f = await agentFinding(home);
    assertEquals([f.id, f.level], ["agent-uses-other", "warn"]);
    assert(f.detail.includes("/usr/lib/gnupg/scdaemon"), f.detail);
    assertEquals(f.fix, `scd-ts install --homedir ${home}`);
  } finally {
    await closeHome(home);
  }
});

Deno.test({
  name: "install then uninstall: scd-ts answers, then stock; gpg-agent.conf byte-identical",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const home = await newHome(BEFORE);
    try {
      const before = await Deno.readFile(`${home}/gpg-agent.conf`);
      const first = await scdTsJson<InstallResult>(["install", "--homedir", home]);
      assertEquals([first.code, first.json.ok, first.json.changed], [0, true, true], first.stdout);
      assertEquals(first.json.scdTsAnswers, true, JSON.stringify(first.json.answered));
      // not set: scd-ts answers the version of the gpg-agent that started it (the host's)
      assertEquals(first.json.answered?.version, await hostAgentVersion());
      assertEquals(await Deno.readFile(first.json.backup!), before);
      const active = (await Deno.readTextFile(`${home}/gpg-agent.conf`)).split("\n")
        .filter((l) => l.startsWith("scdaemon-program"));
      assertEquals(active.length, 1);
      assertEquals((await agentFinding(home)).id, "agent");

      const again = await scdTsJson<InstallResult>(["install", "--homedir", home]);
      assertEquals([again.json.ok, again.json.changed, again.json.scdTsAnswers], [
        true,
        false,
        true,
      ]);

      const off = await scdTsJson<InstallResult>(["uninstall", "--homedir", home]);
      assertEquals([off.code, off.json.ok, off.json.scdTsAnswers], [0, true, false], off.stdout);
      assertEquals(await Deno.readFile(`${home}/gpg-agent.conf`), before);
      const text = await scdTs(["uninstall", "--homedir", home]);
      assertEquals(text.code, 0, text.stderr);
      assert(text.stdout.includes("Already up to date"), text.stdout);
      assertEquals(await Deno.readFile(`${home}/gpg-agent.conf`), before);
    } finally {
      await closeHome(home);
    }
  },
});

Deno.test("doctor: gpg newer than compat-version, and an invalid setting, each with its fix", async () => {
  const home = await newHome(undefined);
  try {
    await Deno.writeTextFile(`${home}/scd-ts.conf`, "compat-version 2.1.0\nhold soon\n");
    const r = await scdTsJson<{ findings: Finding[] }>(
      ["probe", "doctor", "--homedir", home, "--reader", "virtual:"],
    );
    const low = r.json.findings.find((f) => f.id === "compat-version-low");
    assert(low?.detail.includes("compat-version 2.1.0"), r.stdout);
    assert(low?.fix?.startsWith("echo 'compat-version 2.") === true, low?.fix);
    assert(low?.fix?.endsWith(`>> ${home}/scd-ts.conf`), low?.fix);
    const bad = r.json.findings.find((f) => f.id === "config-invalid");
    assert(bad?.detail.startsWith('hold "soon"'), r.stdout);
    assertEquals(bad?.fix, `edit ${home}/scd-ts.conf`);
  } finally {
    await closeHome(home);
  }
});

Deno.test({
  name: "install keeps gpg-agent.conf's mode and its first backup, and quotes paths in the wrapper",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const home = await newHome(BEFORE);
    // scd-ts run from a directory whose name has a space and a quote: the wrapper must quote
    const dir = await Deno.makeTempDir({ prefix: "scd-ts-cli-quote-" });
    const linked = `${dir}/it's scd-ts`;
    await Deno.symlink(CLI_MAIN.slice(0, CLI_MAIN.lastIndexOf("/")), linked);
    const main = `${linked}/${CLI_MAIN.slice(CLI_MAIN.lastIndexOf("/") + 1)}`;
    const install = async (verb: string) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", main, verb, "--homedir", home, "--json"],
        env: { NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      try {
        return JSON.parse(text) as InstallResult;
      } catch {
        throw new Error(`${verb} printed no JSON: ${text}${new TextDecoder().decode(out.stderr)}`);
      }
    };
    try {
      const conf = `${home}/gpg-agent.conf`;
      await Deno.chmod(conf, 0o644);
      const first = await install("install");
      assertEquals(first.scdTsAnswers, true, JSON.stringify(first.answered));
      assertEquals((await Deno.stat(conf)).mode! & 0o777, 0o644, "the file keeps its mode");
      assertEquals(await Deno.readTextFile(first.backup!), BEFORE);
      // uninstall, the user edits the file, install again: the backup still holds BEFORE
      await install("uninstall");
      await Deno.writeTextFile(conf, "# edited later\n");
      const again = await install("install");
      assertEquals([again.changed, again.scdTsAnswers], [true, true]);
      assertEquals(await Deno.readTextFile(again.backup!), BEFORE, "the first backup is kept");
      const leftovers: string[] = [];
      for await (const e of Deno.readDir(home)) if (e.name.endsWith(".tmp")) leftovers.push(e.name);
      assertEquals(leftovers, []);
    } finally {
      await closeHome(home);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("doctor: shows the burst hold with hold-max, and the hold off when pin-cache-ttl is 0", async () => {
  const home = await newHome(undefined);
  try {
    const doctor = async () =>
      (await scdTsJson<{ findings: Finding[] }>(
        ["probe", "doctor", "--homedir", home, "--reader", "virtual:"],
      )).json.findings.find((f) => f.id === "hold")?.detail;
    await Deno.writeTextFile(`${home}/scd-ts.conf`, "hold-max 3s\n");
    assertEquals(
      await doctor(),
      "burst hold 500 ms after an operation, hold-max 3000 ms and 16 operations at most",
    );
    await Deno.writeTextFile(`${home}/scd-ts.conf`, "hold-max 3s\npin-cache-ttl 0\n");
    assertEquals(
      await doctor(),
      "burst hold off: pin-cache-ttl is 0 (every operation asks for the PIN)",
    );
  } finally {
    await closeHome(home);
  }
});
