/**
 * Where stock scdaemon's files live: the GnuPG home directory and the socket directory that
 * holds `S.scdaemon` (gpg/gnupg:common/homedir.c `gnupg_set_homedir`,
 * `_gnupg_socketdir_internal`; scdaemon-protocol.md §1.2). gpg-agent asks the daemon for the
 * socket with `GETINFO socket_name`, so the directory must be the one stock would use only
 * for tools that look for it themselves (`gpgconf --list-dirs`), but we match it anyway.
 * @module
 */

// SHA-1 from @noble/hashes, not node:crypto: loading the Node compatibility layer costs start-up time
import { sha1 } from "@noble/hashes/legacy.js";

/** The socket's file name (`SCDAEMON_SOCK_NAME`). */
export const SOCKET_NAME = "S.scdaemon";

/** Environment lookup. */
export type EnvLookup = (name: string) => string | undefined;

/** The process environment; a variable `--allow-env` does not grant reads as unset. */
export function processEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** `dir` made absolute against `cwd`, with trailing slashes removed (`copy_dir_with_fixup`). */
function absolute(dir: string, cwd: string): string {
  const abs = (dir.startsWith("/") ? dir : `${cwd}/${dir}`).replace(/\/+$/, "");
  return abs === "" ? "/" : abs;
}

/** `~/.gnupg` for `$HOME` (stock's `GNUPG_DEFAULT_HOMEDIR`). */
export function standardHomedir(env: EnvLookup): string {
  return `${env("HOME") ?? "/"}/.gnupg`.replace(/^\/\//, "/");
}

/** The homedir in effect: `--homedir`, else `$GNUPGHOME`, else `~/.gnupg`; absolute. */
export function resolveHomedir(
  option: string | undefined,
  context: { env: EnvLookup; cwd: string },
): string {
  const dir = option || context.env("GNUPGHOME") || standardHomedir(context.env);
  return absolute(dir, context.cwd);
}

/** True when `homedir` is the standard one (then no `d.<hash>` subdirectory is used). */
export function isStandardHomedir(homedir: string, env: EnvLookup): boolean {
  return homedir === absolute(standardHomedir(env), "/");
}

const ZB32 = "ybndrfg8ejkmcpqxot1uwisza345h769";

/** z-base-32 of the first `bits` bits of `data` (gnupg's `zb32_encode`). */
export function zbase32(data: Uint8Array, bits: number): string {
  let out = "";
  for (let bit = 0; bit < bits; bit += 5) {
    let v = 0;
    for (let k = 0; k < 5; k++) {
      const b = bit + k;
      const set = b < bits && ((data[b >> 3] ?? 0) >> (7 - (b & 7))) & 1;
      v = (v << 1) | (set ? 1 : 0);
    }
    out += ZB32[v];
  }
  return out;
}

/** `d.<zbase32(sha1(homedir))[:24]>`: the per-homedir subdirectory name. */
export function homedirHashDir(homedir: string): string {
  const digest = sha1(new TextEncoder().encode(homedir));
  return `d.${zbase32(new Uint8Array(digest), 8 * 15)}`;
}

/** Options for {@linkcode socketDir}. */
export interface SocketDirOptions {
  env: EnvLookup;
  /** Our uid (`Deno.uid()`); null when unknown (then no /run/user lookup). */
  uid: number | null;
  /** Bases to look in, default `/run` and `/var/run` (tests pass a scratch directory). */
  bases?: readonly string[];
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch {
    return undefined;
  }
}

/** A directory that is ours and closed to others, creating it (0700) if absent. */
async function ensurePrivateDir(path: string, uid: number): Promise<boolean> {
  let info = await statOrUndefined(path);
  if (!info) {
    try {
      await Deno.mkdir(path, { mode: 0o700 });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) return false;
    }
    info = await statOrUndefined(path);
  }
  return info !== undefined && info.isDirectory && info.uid === uid &&
    ((info.mode ?? 0) & 0o077) === 0;
}

/**
 * The socket directory stock would use: `<base>/user/<uid>/gnupg` (created 0700), plus
 * `d.<hash>` for a non-standard homedir; the homedir itself when any of that is missing or
 * not private.
 */
export async function socketDir(homedir: string, options: SocketDirOptions): Promise<string> {
  const { uid } = options;
  if (uid === null) return homedir;
  for (const base of options.bases ?? ["/run", "/var/run"]) {
    const userDir = `${base}/user/${uid}`;
    const info = await statOrUndefined(userDir);
    if (!info?.isDirectory) continue;
    if (info.uid !== uid) return homedir;
    const gnupgDir = `${userDir}/gnupg`;
    if (!await ensurePrivateDir(gnupgDir, uid)) return homedir;
    if (isStandardHomedir(homedir, options.env)) return gnupgDir;
    const sub = `${gnupgDir}/${homedirHashDir(homedir)}`;
    return await ensurePrivateDir(sub, uid) ? sub : homedir;
  }
  return homedir;
}
