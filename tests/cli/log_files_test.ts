/**
 * The daemon with log and trace files it must not use (issue 17 L4): a symlinked log file and
 * a trace file in a missing directory. It still starts and answers, warns on stderr, sends the
 * log lines and the trace there, and writes nothing through the link.
 * @module
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { CLI_MAIN } from "./_run.ts";

Deno.test("the daemon starts with an unusable log and trace file: warnings and lines on stderr", async () => {
  const dir = await Deno.makeTempDir({ prefix: "scd-ts-cli-logfiles-" });
  try {
    await Deno.writeTextFile(`${dir}/target`, "");
    await Deno.symlink(`${dir}/target`, `${dir}/scd.log`);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", CLI_MAIN, "--server", "--homedir", dir],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: Deno.env.get("HOME") ?? dir,
        ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
        NO_COLOR: "1",
        SCD_TS_READER: `virtual:${dir}/card.json`,
        SCD_TS_LOG: `${dir}/scd.log`,
        SCD_TS_TRACE: `${dir}/no-such-dir/trace`,
      },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode("GETINFO version\nBYE\n"));
    await w.close();
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    assert(stdout.startsWith("OK "), stdout);
    assert(stdout.includes("D 2.4.8\nOK\n"), stdout);
    assert(stderr.includes(`Cannot log to ${dir}/scd.log`), stderr);
    assert(stderr.includes("is a symbolic link; logging to stderr"), stderr);
    assert(stderr.includes(`Cannot write the Assuan trace to ${dir}/no-such-dir/trace`), stderr);
    assert(stderr.includes("starting (server, homedir"), stderr);
    assert(stderr.includes("<- GETINFO version"), stderr);
    assertEquals(await Deno.readTextFile(`${dir}/target`), "", "nothing through the link");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
