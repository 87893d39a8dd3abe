/**
 * The daemon process leaves no core file and is closed to other processes of its user (issue
 * 17 L8, stock's `disable_core_dumps()`), unless `--debug-allow-core-dump`. Seen from outside,
 * as the kernel enforces it:
 *
 * - the core limit: "Max core file size 0 0" in /proc/PID/limits;
 * - not dumpable: Linux shows the flag in no /proc file, so the test uses what it is for. A
 *   process of the same user without CAP_SYS_PTRACE may open /proc/PID/mem (the daemon's
 *   memory, cached PINs included) only while the daemon is dumpable (`ptrace_may_access`,
 *   PTRACE_MODE_ATTACH). Running as root, the test gives both the daemon and the prying process
 *   the bounding set minus CAP_SYS_PTRACE (setpriv), which is an ordinary user's situation:
 *   root with the capability opens anything, and the kernel also refuses a caller whose
 *   capabilities are not a superset of the target's, dumpable or not. /proc/PID/environ is no
 *   use here: this kernel lets it be read either way.
 *
 * The last test calls ffi/libc.ts directly in a child. The card is the in-process virtual one,
 * so no pcscd is involved. Runs for SCD_E2E_DAEMON=scd-ts.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { DAEMON } from "./_fixture.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const linux = Deno.build.os === "linux";
const root = linux && Deno.uid() === 0;
/** As root, both sides run without CAP_SYS_PTRACE (see the module header). */
const NO_PTRACE = root
  ? ["setpriv", "--bounding-set", "-sys_ptrace", "--inh-caps", "-sys_ptrace"]
  : [];
const hasSetpriv = !root ||
  (await new Deno.Command("setpriv", { args: ["--version"], stdout: "null", stderr: "null" })
    .output().then((r) => r.success, () => false));
const ignore = DAEMON !== "scd-ts" || !linux || !hasSetpriv;

/** Runs `argv` (without CAP_SYS_PTRACE when root). */
function command(argv: string[], options: Deno.CommandOptions = {}): Deno.Command {
  const [program, ...args] = [...NO_PTRACE, ...(NO_PTRACE.length > 0 ? ["--"] : []), ...argv];
  return new Deno.Command(program!, { args, ...options });
}

/** `--server` on the virtual card, up to its greeting; the PID is the daemon's own. */
async function startDaemon(
  extra: string[],
  permissions = ["-A"],
): Promise<{ child: Deno.ChildProcess; home: string }> {
  const home = await Deno.makeTempDir({ prefix: "scd-ts-core-" });
  const deno = [Deno.execPath(), "run", ...permissions, "--quiet"];
  const child = command([...deno, MAIN, "--server", ...extra], {
    env: { SCD_TS_READER: `virtual:${home}/card.json`, SCD_TS_LOG: `${home}/scd-ts.log` },
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  assert(new TextDecoder().decode(value).startsWith("OK "), "greeting");
  return { child, home };
}

/** BYE, exit 0; returns the daemon's log. */
async function stop(d: { child: Deno.ChildProcess; home: string }): Promise<string> {
  const writer = d.child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("BYE\n")).catch(() => {});
  await writer.close().catch(() => {});
  await d.child.stdout.cancel().catch(() => {});
  assertEquals((await d.child.status).code, 0);
  const log = await Deno.readTextFile(`${d.home}/scd-ts.log`).catch(() => "");
  await Deno.remove(d.home, { recursive: true });
  return log;
}

/** The "Max core file size" soft and hard values of a /proc/PID/limits. */
async function coreLimit(pid: number | "self"): Promise<string[]> {
  const limits = await Deno.readTextFile(`/proc/${pid}/limits`);
  const line = limits.split("\n").find((l) => l.startsWith("Max core file size")) ?? "";
  return line.slice("Max core file size".length).trim().split(/\s+/).slice(0, 2);
}

/** True when a same-user process without CAP_SYS_PTRACE can open the daemon's memory. */
async function memoryOpenToSameUser(pid: number): Promise<boolean> {
  const probe = await command(["sh", "-c", `exec 3<"/proc/${pid}/mem"`], {
    stdout: "null",
    stderr: "null",
  }).output();
  return probe.success;
}

Deno.test({
  name: "scd-ts daemon: core limit 0 0 and not dumpable (its memory closed to the same user)",
  ignore,
  async fn() {
    const d = await startDaemon([]);
    try {
      const seen = {
        core: await coreLimit(d.child.pid),
        memoryOpen: await memoryOpenToSameUser(d.child.pid),
      };
      assertEquals(seen, { core: ["0", "0"], memoryOpen: false });
    } finally {
      await stop(d);
    }
  },
});

Deno.test({
  name: "scd-ts daemon --debug-allow-core-dump: core limit inherited, still dumpable",
  ignore,
  async fn() {
    const d = await startDaemon(["--debug-allow-core-dump"]);
    try {
      // the control: the check above can see an open door, so "closed" there means something
      const seen = {
        core: await coreLimit(d.child.pid),
        memoryOpen: await memoryOpenToSameUser(d.child.pid),
      };
      assertEquals(seen, { core: await coreLimit("self"), memoryOpen: true });
    } finally {
      await stop(d);
    }
  },
});

Deno.test({
  name: "scd-ts daemon without --allow-ffi: warns that core dumps stay on, then serves",
  ignore,
  async fn() {
    const d = await startDaemon([], [
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
    ]);
    const core = await coreLimit(d.child.pid);
    const log = await stop(d);
    assertMatch(log, /Cannot disable core dumps: Cannot load libc\.so\.6: FFI is not allowed/);
    assertEquals(core, await coreLimit("self"));
  },
});

Deno.test({
  name: "disableCoreDumps() (ffi/libc.ts) in a child: dumpable 1 → 0, core limit → 0 0",
  ignore: DAEMON !== "scd-ts" || !linux,
  async fn() {
    const module = new URL("../../ffi/libc.ts", import.meta.url).href;
    const script = `import * as c from "${module}";
      const before = [c.getDumpable(), c.getCoreLimit()];
      c.disableCoreDumps();
      console.log(JSON.stringify([before, [c.getDumpable(), c.getCoreLimit()]],
        (_k, v) => typeof v === "bigint" ? String(v) : v));`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", "--allow-ffi", script],
      stderr: "inherit",
    }).output();
    assertEquals(out.code, 0);
    const [before, after] = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(before[0], 1, "a fresh process is dumpable");
    assertEquals(after, [0, { soft: "0", hard: "0" }]);
  },
});
