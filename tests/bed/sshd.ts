/**
 * A throwaway OpenSSH server on 127.0.0.1 for the ssh-agent e2e tests and the bench's ssh
 * login case: its own config, host key and authorized_keys in a fresh directory, a free
 * port, ended by its PID.
 * @module
 */

import { HOMES_BASE } from "./gnupg.ts";
import { run, spawnCaptured } from "./procs.ts";
import { freePort } from "./vcard.ts";

const SSHD = "/usr/sbin/sshd";

/** A throwaway sshd on a free port of 127.0.0.1 that accepts `authorized` for this user. */
export interface Sshd {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts sshd with its own config and host key in a fresh directory; `hostKey`: ssh-keygen's
 * `-t` and optionally `-b` (default Ed25519), the key that signs session-bind.
 */
export async function startSshd(
  authorized: string,
  hostKey: { type: string; bits?: number } = { type: "ed25519" },
): Promise<Sshd> {
  const dir = await Deno.makeTempDir({ dir: HOMES_BASE, prefix: "sshd-" });
  const bits = hostKey.bits === undefined ? [] : ["-b", String(hostKey.bits)];
  await run("ssh-keygen", ["-q", "-t", hostKey.type, ...bits, "-N", "", "-f", `${dir}/host_key`]);
  await Deno.writeTextFile(`${dir}/authorized_keys`, authorized + "\n");
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/sshd_config`,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${dir}/host_key`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `PidFile ${dir}/sshd.pid`,
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "PermitRootLogin prohibit-password",
      "",
    ].join("\n"),
  );
  await Deno.mkdir("/run/sshd", { recursive: true }); // privilege separation directory
  const proc = spawnCaptured(SSHD, ["-D", "-e", "-f", `${dir}/sshd_config`]);
  await proc.waitForLine(/Server listening on 127\.0\.0\.1/, 15000);
  return {
    port,
    dir,
    async stop() {
      await proc.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** `ssh`'s arguments to log in to `sshd` as this user (keys from the agent) and run `command`. */
export function sshArgs(sshd: Sshd, command: string[], extra: string[] = []): string[] {
  const user = Deno.env.get("USER") ?? "root";
  return [
    ...["-F", "/dev/null", "-p", String(sshd.port), "-o", "BatchMode=yes"],
    ...["-o", "StrictHostKeyChecking=no", "-o", `UserKnownHostsFile=${sshd.dir}/known_hosts`],
    ...["-o", "PreferredAuthentications=publickey", ...extra, `${user}@127.0.0.1`, ...command],
  ];
}
