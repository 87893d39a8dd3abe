/**
 * Files only their owner may read: the log and trace files (opened for appending) and the
 * files replaced whole (the virtual card's state, gpg-agent.conf). Their paths come from
 * configuration and the environment, so they may name a symlink someone planted, a file of
 * another user, or one the group can read; these helpers refuse or repair such files instead
 * of following them (issue 17 L3, L4, install).
 * @module
 */

/** A path that is not safe to open as a private file; the message says why. */
export class UnsafeFileError extends Error {
  override name = "UnsafeFileError";
}

/** Options of {@linkcode openPrivateAppend}. */
export interface PrivateAppendOptions {
  /** Our uid; default `Deno.uid()`, and no owner check when that is not permitted. */
  uid?: number | null | undefined;
}

function ourUid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null; // no --allow-sys: chmod below still fails on a file of another user
  }
}

async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * Open `path` for appending, created 0600 when absent. Deno has no O_NOFOLLOW, so the path is
 * looked at before (a symlink or a non-file is refused) and after the open: the opened file
 * must be the regular file the path names now and named before (same device and inode), so
 * a swap between the checks is caught. A file of another user is refused; our own file with
 * group or other bits is made 0600. Throws {@linkcode UnsafeFileError} or the open's error.
 */
export async function openPrivateAppend(
  path: string,
  options: PrivateAppendOptions = {},
): Promise<Deno.FsFile> {
  const before = await lstatOrNull(path);
  if (before?.isSymlink) throw new UnsafeFileError(`${path} is a symbolic link`);
  if (before !== null && !before.isFile) throw new UnsafeFileError(`${path} is not a file`);
  const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  try {
    const opened = await file.stat();
    const now = await lstatOrNull(path);
    if (
      !opened.isFile || now === null || !now.isFile || !sameFile(opened, now) ||
      (before !== null && !sameFile(before, opened))
    ) {
      throw new UnsafeFileError(
        `${path} changed while it was opened (a symbolic link swapped in?)`,
      );
    }
    const uid = options.uid === undefined ? ourUid() : options.uid;
    if (uid !== null && opened.uid !== null && opened.uid !== uid) {
      throw new UnsafeFileError(`${path} belongs to uid ${opened.uid}, not to us (uid ${uid})`);
    }
    if (opened.mode !== null && (opened.mode & 0o077) !== 0) {
      try {
        await Deno.chmod(path, 0o600);
      } catch (e) {
        throw new UnsafeFileError(
          `${path} is readable or writable by others (mode ${
            (opened.mode & 0o777).toString(8)
          }) and cannot be made 0600: ${(e as Error).message}`,
        );
      }
    }
    return file;
  } catch (e) {
    file.close();
    throw e;
  }
}

/**
 * Replace `path` with `bytes` so that a reader sees the old file or the new one, never a part.
 * The temporary file gets a fresh name in the same directory, is created exclusively (a fixed
 * `path.tmp` could be a planted symlink) with `mode` set explicitly (not left to the umask),
 * and is synced before the rename so a crash cannot leave an empty file in place of the old.
 */
export function replaceFileSync(path: string, bytes: Uint8Array, mode: number): void {
  const slash = path.lastIndexOf("/");
  const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${crypto.randomUUID()}.tmp`;
  const file = Deno.openSync(tmp, { write: true, createNew: true, mode: mode & 0o600 });
  try {
    try {
      for (let off = 0; off < bytes.length;) off += file.writeSync(bytes.subarray(off));
      // the umask may have taken bits away; the caller's mode is the one meant
      Deno.chmodSync(tmp, mode);
      file.syncSync();
    } finally {
      file.close();
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* renamed, or never created */ }
    throw e;
  }
}
