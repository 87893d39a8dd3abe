/**
 * `GETINFO version` against the gpg in use: gpg asks `SCD GETINFO version` through the agent
 * before a card operation and warns when the answer is lower than its own version
 * (gpg/gnupg:g10/call-agent.c `start_agent` → common/asshelp.c
 * `warn_server_version_mismatch`: "server 'scdaemon' is older than us" and the status
 * `WARNING server_version_mismatch 0`). Stock answers its own version; scd-ts answers the
 * version of the gpg-agent that started it (src/scd/agent_version.ts), so on each gnupg of the
 * matrix neither shows the warning. The second test proves the first can fail: a
 * compat-version below gpg's brings the warning back.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type CardContext, cardTest, DAEMON, GNUPG_VERSION } from "./_fixture.ts";

/**
 * `gpg --card-status` (a card operation: gpg asks the daemon's version first), the bed's gpg
 * version (checked to be the version the lane names) and the version warnings of the run,
 * status lines and log lines.
 */
async function cardStatus(c: CardContext) {
  const out = (await c.run("gpg", ["--version"])).stdout;
  const version = /^gpg \(GnuPG\) (\d+\.\d+\.\d+)/.exec(out)?.[1] ?? "";
  assert(version.startsWith(GNUPG_VERSION), `SCD_E2E_GNUPG=${GNUPG_VERSION} runs gpg ${out}`);
  const r = await c.gpg(["--card-status"]);
  assertEquals(r.code, 0, r.stderr);
  assert(r.status.some((l) => l.startsWith("CARDCTRL 3 ")), r.status.join("\n"));
  const warnings = [
    ...r.status.filter((l) => l.includes("server_version_mismatch")),
    ...r.stderr.split("\n").filter((l) => l.startsWith("gpg: ") && l.includes("older than us")),
  ];
  return { version, warnings };
}

cardTest(
  "a card operation shows no server_version_mismatch: GETINFO version is gpg's",
  async (c) => {
    const { version, warnings } = await cardStatus(c);
    assertEquals(warnings, []);
    const answer = await c.run("gpg-connect-agent", ["SCD GETINFO version", "/bye"]);
    assertEquals(answer.stdout.split("\n").slice(0, 2), [`D ${version}`, "OK"]);
  },
);

cardTest(
  "scd-ts: a compat-version below gpg's brings the warning back",
  async (c) => {
    const { version, warnings } = await cardStatus(c);
    assertEquals(warnings, [
      `WARNING server_version_mismatch 0 server 'scdaemon' is older than us (2.0.0 < ${version})`,
      `gpg: WARNING: server 'scdaemon' is older than us (2.0.0 < ${version})`,
    ]);
  },
  { ignore: DAEMON !== "scd-ts", scdTsEnv: { SCD_TS_COMPAT_VERSION: "2.0.0" } },
);
