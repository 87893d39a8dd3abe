/**
 * What the results were measured on: the machine and the versions of everything involved.
 * @module
 */

import { chrootDir } from "../tests/bed/chroot.ts";
import { STOCK_SCDAEMON } from "../tests/bed/gnupg.ts";
import { REPO_ROOT } from "../tests/bed/vcard.ts";
import type { GnupgVersion } from "./report.ts";

async function firstLine(cmd: string, args: string[]): Promise<string> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(r.stdout) || new TextDecoder().decode(r.stderr);
    return text.split("\n")[0]!.trim();
  } catch (e) {
    return `unavailable (${(e as Error).message})`;
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return fallback;
  }
}

/** CPU, cores, memory, kernel, hostname. */
export function collectMachine(): Promise<Record<string, string | number>> {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readOr("/proc/cpuinfo", ""))?.[1] ?? "unknown";
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readOr("/proc/meminfo", ""))?.[1] ?? 0);
  return Promise.resolve({
    hostname: Deno.hostname(),
    cpu,
    cores: navigator.hardwareConcurrency,
    mem_gib: Math.round(memKb / 1024 / 1024 * 10) / 10,
    kernel: Deno.osRelease(),
    os: Deno.build.target,
  });
}

/** Deno, scd-ts, gnupg (host and chroot as used), stock scdaemon, pcscd, the git commit. */
export async function collectVersions(gnupg: GnupgVersion[]): Promise<Record<string, string>> {
  const v: Record<string, string> = {
    deno: Deno.version.deno,
    scd_ts: await firstLine(Deno.execPath(), [
      "run",
      "-A",
      "--quiet",
      `${REPO_ROOT}/main.ts`,
      "--version",
    ]),
    commit: await firstLine("git", ["-C", REPO_ROOT, "describe", "--always", "--dirty"]),
    pcscd: await firstLine("pcscd", ["--version"]),
  };
  if (gnupg.includes("2.2")) {
    v.gnupg_2_2 = await firstLine("gpg", ["--version"]);
    v.scdaemon_2_2 = await firstLine(STOCK_SCDAEMON, ["--version"]);
  }
  if (gnupg.includes("2.4")) {
    v.gnupg_2_4 = await firstLine("chroot", [chrootDir(), "gpg", "--version"]);
    v.scdaemon_2_4 = await firstLine("chroot", [chrootDir(), STOCK_SCDAEMON, "--version"]);
  }
  return v;
}
