/**
 * `scd-ts probe doctor` (also `scd-ts doctor`): says *why* a card does not work and the exact
 * command that fixes it — pcscd reachable, readers and cards, the OpenPGP application, a card
 * held exclusively (by stock scdaemon?), which scdaemon gpg-agent runs, gnupg's version vs
 * `compat-version`, the scd-ts settings in effect and the burst hold they give. Reads only;
 * never stops anything.
 * @module
 */

import { findPcscError, PcscContext } from "../pcsc/mod.ts";
import {
  burstHold,
  loadConfig,
  parseArgs as parseScdArgs,
  processEnv as env,
  readerSetting,
  resolveHomedir,
} from "../scd/mod.ts";
import { backendFor } from "./backend.ts";
import { readCardInfo } from "./card_info.ts";
import {
  agentProgram,
  gpgVersion,
  isScdTs,
  stockScdaemonPath,
  stockScdaemonPids,
} from "./gnupg.ts";
import { paint, printable, printJson, table } from "./output.ts";
import { settingsInEffect } from "./settings_check.ts";

/** One finding. `id` is stable (tests and scripts match it); `fix` is a command to run. */
export interface Finding {
  id: string;
  level: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

const SCARD_STATE_PRESENT = 0x20;
const SCARD_STATE_EXCLUSIVE = 0x80;

/** Readers and cards through PC/SC. */
async function pcscFindings(): Promise<Finding[]> {
  let ctx: PcscContext;
  try {
    ctx = await PcscContext.establish();
  } catch (e) {
    const code = findPcscError(e)?.code ?? (e as Error).message;
    return [{
      id: "pcscd-unreachable",
      level: "fail",
      detail: `pcscd is not reachable (${code})`,
      fix: "sudo systemctl start pcscd.socket   # Debian/Ubuntu: apt-get install pcscd",
    }];
  }
  const out: Finding[] = [{ id: "pcscd", level: "ok", detail: "pcscd answers" }];
  let readers: string[];
  let states: { reader: string; eventState: number }[];
  try {
    readers = await ctx.listReaders();
    states = readers.length === 0
      ? []
      : await ctx.getStatusChange(readers.map((reader) => ({ reader, currentState: 0 })), 0) ?? [];
  } finally {
    // the card reads below open their own short contexts
    await ctx.release();
  }
  if (readers.length === 0) {
    out.push({
      id: "no-reader",
      level: "fail",
      detail: "pcscd sees no reader",
      fix:
        "plug the reader or token in, then: pcsc_scan   # (package pcsc-tools) lists what pcscd sees",
    });
    return out;
  }
  out.push({
    id: "readers",
    level: "ok",
    detail: `${readers.length} reader(s): ${readers.join(", ")}`,
  });
  const backend = await backendFor(undefined);
  for (const reader of readers) {
    const state = states.find((s) => s.reader === reader)?.eventState ?? 0;
    if ((state & SCARD_STATE_PRESENT) === 0) {
      out.push({
        id: "no-card",
        level: "warn",
        detail: `${reader}: no card`,
        fix: "insert the card",
      });
      continue;
    }
    const exclusive = (state & SCARD_STATE_EXCLUSIVE) !== 0;
    try {
      if (exclusive) throw new Error("SCARD_STATE_EXCLUSIVE");
      const info = await readCardInfo(backend, reader);
      out.push({
        id: "card",
        level: "ok",
        detail: `${reader}: OpenPGP card ${info.serial} (${info.manufacturer})`,
      });
    } catch (e) {
      const code = findPcscError(e)?.code;
      if (exclusive || code === "SCARD_E_SHARING_VIOLATION") out.push(heldExclusively(reader));
      else {out.push({
          id: "no-openpgp",
          level: "warn",
          detail: `${reader}: no OpenPGP application (${(e as Error).message})`,
        });}
    }
  }
  return out;
}

function heldExclusively(reader: string): Finding {
  const stock = stockScdaemonPids();
  const by = stock.length > 0
    ? `stock scdaemon (pid ${stock.join(", ")}) is running and may hold it`
    : "the holder is not a known scdaemon";
  return {
    id: "card-held-exclusively",
    level: "fail",
    detail: `${reader}: another program holds the card exclusively; ${by}`,
    fix: stock.length > 0
      ? "gpgconf --kill scdaemon   # then: scd-ts install, so gpg-agent starts scd-ts instead"
      : "quit the program using the card exclusively (ykman, a PKCS#11 module, a browser), or: sudo systemctl restart pcscd",
  };
}

/** gpg-agent's daemon, gnupg version vs compat-version, settings. */
async function gnupgFindings(
  homedir: string,
  options: { reader: string | undefined },
): Promise<Finding[]> {
  const out: Finding[] = [];
  const program = await agentProgram(homedir);
  if (program.path === undefined) {
    out.push({
      id: "agent-uses-stock",
      level: "warn",
      detail: `gpg-agent (${homedir}) runs stock scdaemon (gpgconf: ${
        (await stockScdaemonPath()) ?? "not installed"
      }): no scdaemon-program line`,
      fix: `scd-ts install --homedir ${homedir}`,
    });
  } else if (!(await isScdTs(program.path))) {
    out.push({
      id: "agent-uses-other",
      level: "warn",
      detail: `gpg-agent (${homedir}) runs another scdaemon: ${program.path}`,
      fix: `scd-ts install --homedir ${homedir}`,
    });
  } else {
    out.push({ id: "agent", level: "ok", detail: `gpg-agent runs scd-ts: ${program.path}` });
  }
  const args = parseScdArgs(options.reader !== undefined ? ["--reader-port", options.reader] : []);
  const { config, warnings } = await loadConfig(homedir, { env, args });
  const version = await gpgVersion();
  if (version === undefined) {
    out.push({
      id: "no-gnupg",
      level: "warn",
      detail: "gpg not found",
      fix: "sudo apt-get install gnupg scdaemon",
    });
  } else if (config.compatVersion !== undefined && newer(version, config.compatVersion)) {
    out.push({
      id: "compat-version-low",
      level: "warn",
      detail:
        `gpg ${version} is newer than compat-version ${config.compatVersion}: gpg will warn "server 'scdaemon' is older than us"`,
      fix: `echo 'compat-version ${version}' >> ${homedir}/scd-ts.conf`,
    });
  } else {
    out.push({
      id: "gnupg",
      level: "ok",
      detail: `gpg ${version}, ${
        config.compatVersion === undefined
          ? "GETINFO version answers gpg-agent's own version"
          : `compat-version ${config.compatVersion}`
      }`,
    });
  }
  for (const w of warnings) {
    out.push({
      id: "config-invalid",
      level: "warn",
      detail: w,
      fix: `edit ${homedir}/scd-ts.conf or unset the SCD_TS_* variable`,
    });
  }
  const settings = settingsInEffect(config.values, env);
  for (const bad of settings.filter((x) => x.invalid !== undefined)) {
    const where = bad.from === "file" ? `${homedir}/scd-ts.conf` : bad.from;
    out.push({
      id: "config-invalid",
      level: "warn",
      detail: `${bad.key} "${bad.value}" (${where}): ${bad.invalid}; ${bad.fallback}`,
      fix: bad.from === "file" ? `edit ${where}` : `unset ${bad.from.split(" ")[1]}`,
    });
  }
  const list = settings.map((x) => `${x.key}=${x.value}`).join(" ");
  out.push({ id: "config", level: "ok", detail: `settings in effect: ${list || "defaults"}` });
  const hold = burstHold(config, env);
  out.push({
    id: "hold",
    level: "ok",
    detail: hold.off
      ? `burst hold off: ${hold.off}`
      : `burst hold ${hold.holdMs} ms after an operation, hold-max ${hold.holdMaxMs} ms and ` +
        `${hold.holdMaxOps} operations at most`,
  });
  const idleMs = readerSetting(config, "monitor-idle");
  out.push({
    id: "monitor-idle",
    level: "ok",
    detail: idleMs === 0
      ? "reader monitor always running: it keeps a PC/SC context, so a pcscd started with " +
        "--auto-exit does not exit while gpg-agent runs"
      : `reader monitor stopped after ${idleMs / 1000} s without a command (a pcscd started ` +
        "with --auto-exit can then exit); card events wait until the next command",
  });
  return out;
}

/** a.b.c > x.y.z numerically. */
function newer(a: string, b: string): boolean {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) > (pb[i] ?? 0);
  }
  return false;
}

/** Every finding, in the order a person would check them. */
export async function diagnose(
  options: { homedir?: string | undefined; reader?: string | undefined } = {},
): Promise<Finding[]> {
  const homedir = resolveHomedir(options.homedir, { env, cwd: Deno.cwd() });
  const pcsc = options.reader?.startsWith("virtual:") ? [] : await pcscFindings();
  return [...pcsc, ...await gnupgFindings(homedir, { reader: options.reader })];
}

/** `probe doctor`: prints the findings; exit 1 when one failed. */
export async function runDoctor(
  options: { json: boolean; homedir?: string | undefined; reader?: string | undefined },
): Promise<number> {
  const findings = await diagnose(options);
  const failed = findings.some((f) => f.level === "fail");
  if (options.json) printJson({ ok: !failed, findings });
  else {
    const mark = { ok: paint("green", "✓"), warn: paint("yellow", "!"), fail: paint("red", "✗") };
    const rows: string[][] = [];
    for (const f of findings) {
      // details carry reader names and card strings
      rows.push([mark[f.level], f.id, printable(f.detail)]);
      if (f.fix !== undefined) rows.push(["", "", `fix: ${printable(f.fix)}`]);
    }
    console.log(table(rows));
  }
  return failed ? 1 : 0;
}
