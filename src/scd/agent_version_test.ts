import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type AgentProbe, agentVersion, parseAgentVersion } from "./agent_version.ts";
import { DEFAULT_COMPAT_VERSION } from "./config.ts";
import { Harness } from "../../tests/support/scd_harness.ts";

/** A probe whose parent is `exe` and whose `--version` prints `output`; counts the runs. */
function probe(exe: string | undefined, output: string | undefined) {
  const asked: string[] = [];
  const p: AgentProbe = {
    parentExe: () => exe,
    versionOutput: (program) => {
      asked.push(program);
      return Promise.resolve(output);
    },
  };
  return { probe: p, asked };
}

const V249 = "gpg-agent (GnuPG) 2.4.9\nlibgcrypt 1.11.2\nCopyright (C) 2025 g10 Code GmbH\n";

Deno.test("parseAgentVersion() reads the first line of gpg-agent --version only", () => {
  assertEquals(parseAgentVersion(V249), "2.4.9");
  assertEquals(parseAgentVersion("gpg-agent (GnuPG/MacGPG2) 2.2.41\n"), "2.2.41");
  assertEquals(parseAgentVersion("gpg-agent (GnuPG) 2.5.1-beta23\n"), "2.5.1");
  assertEquals(parseAgentVersion("gpg (GnuPG) 2.4.9\n"), undefined);
  assertEquals(parseAgentVersion("libgcrypt 1.11.2\ngpg-agent (GnuPG) 2.4.9\n"), undefined);
  assertEquals(parseAgentVersion(""), undefined);
});

Deno.test("agentVersion() asks the parent gpg-agent, else falls back", async () => {
  const agent = probe("/usr/bin/gpg-agent", V249);
  assertEquals(await agentVersion(agent.probe), "2.4.9");
  assertEquals(agent.asked, ["/usr/bin/gpg-agent"]);
  // replaced by an upgrade while running: the installed file is asked
  const upgraded = probe("/usr/bin/gpg-agent (deleted)", V249);
  assertEquals(await agentVersion(upgraded.probe), "2.4.9");
  assertEquals(upgraded.asked, ["/usr/bin/gpg-agent"]);
  // a parent that is no gpg-agent is not run at all
  for (const exe of ["/usr/bin/bash", "/usr/lib/systemd/systemd", undefined]) {
    const other = probe(exe, V249);
    assertEquals(await agentVersion(other.probe), DEFAULT_COMPAT_VERSION);
    assertEquals(other.asked, []);
  }
  for (const output of [undefined, "garbage\n"]) {
    assertEquals(
      await agentVersion(probe("/opt/gnupg/bin/gpg-agent", output).probe),
      DEFAULT_COMPAT_VERSION,
    );
  }
});

Deno.test("GETINFO version: looked up at the first call only, compat-version overrides", async () => {
  const agent = probe("/usr/bin/gpg-agent", V249);
  const h = new Harness({ agentProbe: agent.probe });
  const a = await h.connect();
  assertEquals(agent.asked, []); // starting and greeting cost no lookup
  assertEquals(await a.client.transact("GETINFO version"), ["D 2.4.9", "OK"]);
  const b = await h.connect();
  assertEquals(await b.client.transact("GETINFO version"), ["D 2.4.9", "OK"]);
  assertEquals(agent.asked.length, 1);
  await a.client.close();
  await b.client.close();

  const pinned = probe("/usr/bin/gpg-agent", V249);
  const p = new Harness({ env: { SCD_TS_COMPAT_VERSION: "2.2.40" }, agentProbe: pinned.probe });
  const c = await p.connect();
  assertEquals(await c.client.transact("GETINFO version"), ["D 2.2.40", "OK"]);
  assertEquals(pinned.asked, []);
  await c.client.close();
});

// The real probe (/proc and gpg-agent --version) runs under a real gpg-agent in
// tests/e2e/version_test.ts and tests/cli/agent_test.ts; unit tests may not spawn programs.
