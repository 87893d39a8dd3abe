/**
 * The few libc calls the daemon makes on itself: `prctl` and `getrlimit`/`setrlimit` from
 * glibc's `libc.so.6`, so that a process with PINs in its PIN cache leaves no core file and
 * cannot be read by other processes of the same user (stock scdaemon's `disable_core_dumps()`,
 * gpg/gnupg:common/sysutils.c; issue 17 L8). Linux on 64-bit only: the widths below are LP64's.
 * Nothing is loaded at import time; {@linkcode openLibc} runs on first use.
 *
 * @module
 */

/** `<linux/prctl.h>`: read the process's dumpable flag. */
export const PR_GET_DUMPABLE = 3;
/** `<linux/prctl.h>`: set it (0: no core dump, /proc/PID files owned by root, no ptrace). */
export const PR_SET_DUMPABLE = 4;
/** `<asm-generic/resource.h>`: the core file size limit. */
export const RLIMIT_CORE = 4;
/** `struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }`, rlim_t = unsigned long (8 bytes). */
export const RLIMIT_SIZE = 16;

/** The libc functions the daemon uses. */
export const LIBC_SYMBOLS = {
  // int prctl(int option, ...): declared variadic; the kernel reads four unsigned longs after
  // the option, and on x86-64 and aarch64 Linux integer arguments of a variadic call are
  // passed exactly like fixed ones, so the fixed declaration below is the same call
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  // int getrlimit(int resource, struct rlimit *rlim)
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  // int setrlimit(int resource, const struct rlimit *rlim)
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  // int *__errno_location(void): glibc's errno of the calling thread
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The typed functions of a loaded libc. */
export type LibcSymbols = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

/** Thrown when libc cannot be loaded or one of its calls fails (`errno` when known). */
export class LibcError extends Error {
  readonly errno: number | undefined;
  constructor(message: string, options?: ErrorOptions & { errno?: number }) {
    super(message, options);
    this.name = "LibcError";
    this.errno = options?.errno;
  }
}

/** The soft and hard limit of a resource. */
export interface Rlimit {
  soft: bigint;
  hard: bigint;
}

/** `struct rlimit` as bytes (native byte order). */
export function encodeRlimit(limit: Rlimit): Uint8Array {
  const bytes = new Uint8Array(RLIMIT_SIZE);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, limit.soft, true);
  view.setBigUint64(8, limit.hard, true);
  return bytes;
}

/** The inverse of {@linkcode encodeRlimit}. */
export function decodeRlimit(bytes: Uint8Array): Rlimit {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { soft: view.getBigUint64(0, true), hard: view.getBigUint64(8, true) };
}

let loaded: LibcSymbols | undefined;

/**
 * Loads `libc.so.6` on first call. Throws {@linkcode LibcError} on another OS or CPU width
 * (the declarations are Linux LP64's), without `--allow-ffi`, or when dlopen fails.
 */
export function openLibc(): LibcSymbols {
  if (loaded) return loaded;
  if (Deno.build.os !== "linux" || !["x86_64", "aarch64"].includes(Deno.build.arch)) {
    throw new LibcError(`Cannot load libc.so.6: not on 64-bit Linux (${Deno.build.target})`);
  }
  try {
    loaded = Deno.dlopen("libc.so.6", LIBC_SYMBOLS).symbols;
    return loaded;
  } catch (e) {
    const why = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "FFI is not allowed (run with --allow-ffi)"
      : e instanceof Error
      ? e.message
      : String(e);
    throw new LibcError(`Cannot load libc.so.6: ${why}`, { cause: e });
  }
}

/** errno right after a failed call (best effort: read on the same thread, nothing between). */
function errno(libc: LibcSymbols): number | undefined {
  const p = libc.__errno_location();
  return p === null ? undefined : new Deno.UnsafePointerView(p).getInt32();
}

function fail(libc: LibcSymbols, what: string): LibcError {
  const code = errno(libc);
  return new LibcError(`${what} failed (errno ${code ?? "unknown"})`, {
    ...(code !== undefined ? { errno: code } : {}),
  });
}

/** `prctl(PR_GET_DUMPABLE)`: 0 when the process is not dumpable. */
export function getDumpable(libc: LibcSymbols = openLibc()): number {
  const rv = libc.prctl(PR_GET_DUMPABLE, 0n, 0n, 0n, 0n);
  if (rv < 0) throw fail(libc, "prctl(PR_GET_DUMPABLE)");
  return rv;
}

/** `getrlimit(RLIMIT_CORE)`. */
export function getCoreLimit(libc: LibcSymbols = openLibc()): Rlimit {
  const buf = new Uint8Array(RLIMIT_SIZE);
  if (libc.getrlimit(RLIMIT_CORE, buf) !== 0) throw fail(libc, "getrlimit(RLIMIT_CORE)");
  return decodeRlimit(buf);
}

/**
 * No core file and not dumpable: `prctl(PR_SET_DUMPABLE, 0)` and `setrlimit(RLIMIT_CORE,
 * {0, 0})`. Both are tried; a {@linkcode LibcError} names each that failed. Why both: the
 * limit alone does not stop a core handed to a pipe (`core_pattern` `|systemd-coredump`),
 * whereas the kernel writes no core at all for a non-dumpable process (with the default
 * `fs.suid_dumpable` 0), and not dumpable also refuses same-user ptrace and /proc/PID/mem
 * reads to anyone without CAP_SYS_PTRACE. The hard limit goes to 0 too (stock lowers only the
 * soft one) so nothing in the process can raise it again.
 */
export function disableCoreDumps(libc: LibcSymbols = openLibc()): void {
  const failed: string[] = [];
  if (libc.prctl(PR_SET_DUMPABLE, 0n, 0n, 0n, 0n) !== 0) {
    failed.push(fail(libc, "prctl(PR_SET_DUMPABLE, 0)").message);
  }
  if (libc.setrlimit(RLIMIT_CORE, encodeRlimit({ soft: 0n, hard: 0n })) !== 0) {
    failed.push(fail(libc, "setrlimit(RLIMIT_CORE, {0, 0})").message);
  }
  if (failed.length > 0) throw new LibcError(`Cannot disable core dumps: ${failed.join("; ")}`);
}
