/**
 * The pcsc-lite symbol table (data, with each C prototype from `PCSC/winscard.h` beside it) and
 * the lazy loader. Nothing is loaded at import time: {@linkcode openPcsc} runs on first use, so
 * modules that merely import this one need no `--allow-ffi`.
 *
 * Every call that talks to pcscd is `nonblocking` (runs on a worker thread, returns a Promise),
 * so a slow card or a hung pcscd never freezes the event loop. Two are synchronous on purpose:
 * `SCardCancel` must be able to interrupt a `SCardGetStatusChange` that is blocking another
 * thread, and `SCardIsValidContext` is a local check in the client library.
 *
 * Deno keeps buffer *arguments* alive across a nonblocking call, but not buffers reachable only
 * through a pointer stored inside a struct (`SCARD_READERSTATE.szReader`): callers keep those
 * referenced until the promise settles (style.md §1.7 item 8).
 *
 * @module
 */

import { DWORD, LONG } from "./pcsclite_abi.ts";

/** The pcsc-lite functions scd-ts uses. */
export const PCSC_SYMBOLS = {
  // LONG SCardEstablishContext(DWORD dwScope, LPCVOID pvReserved1, LPCVOID pvReserved2,
  //                            LPSCARDCONTEXT phContext)
  SCardEstablishContext: {
    parameters: [DWORD, "pointer", "pointer", "buffer"],
    result: LONG,
    nonblocking: true,
  },
  // LONG SCardReleaseContext(SCARDCONTEXT hContext)
  SCardReleaseContext: { parameters: [LONG], result: LONG, nonblocking: true },
  // LONG SCardIsValidContext(SCARDCONTEXT hContext)
  SCardIsValidContext: { parameters: [LONG], result: LONG },
  // LONG SCardListReaders(SCARDCONTEXT hContext, LPCSTR mszGroups, LPSTR mszReaders,
  //                       LPDWORD pcchReaders)
  SCardListReaders: {
    parameters: [LONG, "pointer", "buffer", "buffer"],
    result: LONG,
    nonblocking: true,
  },
  // LONG SCardGetStatusChange(SCARDCONTEXT hContext, DWORD dwTimeout,
  //                           SCARD_READERSTATE *rgReaderStates, DWORD cReaders)
  SCardGetStatusChange: {
    parameters: [LONG, DWORD, "buffer", DWORD],
    result: LONG,
    nonblocking: true,
  },
  // LONG SCardCancel(SCARDCONTEXT hContext)
  SCardCancel: { parameters: [LONG], result: LONG },
  // LONG SCardConnect(SCARDCONTEXT hContext, LPCSTR szReader, DWORD dwShareMode,
  //                   DWORD dwPreferredProtocols, LPSCARDHANDLE phCard, LPDWORD pdwActiveProtocol)
  SCardConnect: {
    parameters: [LONG, "buffer", DWORD, DWORD, "buffer", "buffer"],
    result: LONG,
    nonblocking: true,
  },
  // LONG SCardReconnect(SCARDHANDLE hCard, DWORD dwShareMode, DWORD dwPreferredProtocols,
  //                     DWORD dwInitialization, LPDWORD pdwActiveProtocol)
  SCardReconnect: {
    parameters: [LONG, DWORD, DWORD, DWORD, "buffer"],
    result: LONG,
    nonblocking: true,
  },
  // LONG SCardDisconnect(SCARDHANDLE hCard, DWORD dwDisposition)
  SCardDisconnect: { parameters: [LONG, DWORD], result: LONG, nonblocking: true },
  // LONG SCardBeginTransaction(SCARDHANDLE hCard)
  SCardBeginTransaction: { parameters: [LONG], result: LONG, nonblocking: true },
  // LONG SCardEndTransaction(SCARDHANDLE hCard, DWORD dwDisposition)
  SCardEndTransaction: { parameters: [LONG, DWORD], result: LONG, nonblocking: true },
  // LONG SCardStatus(SCARDHANDLE hCard, LPSTR mszReaderName, LPDWORD pcchReaderLen,
  //                  LPDWORD pdwState, LPDWORD pdwProtocol, LPBYTE pbAtr, LPDWORD pcbAtrLen)
  SCardStatus: {
    parameters: [LONG, "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: LONG,
    nonblocking: true,
  },
  // LONG SCardTransmit(SCARDHANDLE hCard, const SCARD_IO_REQUEST *pioSendPci,
  //                    LPCBYTE pbSendBuffer, DWORD cbSendLength, SCARD_IO_REQUEST *pioRecvPci,
  //                    LPBYTE pbRecvBuffer, LPDWORD pcbRecvLength)
  SCardTransmit: {
    parameters: [LONG, "buffer", "buffer", DWORD, "pointer", "buffer", "buffer"],
    result: LONG,
    nonblocking: true,
  },
  // LONG SCardControl(SCARDHANDLE hCard, DWORD dwControlCode, LPCVOID pbSendBuffer,
  //                   DWORD cbSendLength, LPVOID pbRecvBuffer, DWORD cbRecvLength,
  //                   LPDWORD lpBytesReturned)
  SCardControl: {
    parameters: [LONG, DWORD, "buffer", DWORD, "buffer", DWORD, "buffer"],
    result: LONG,
    nonblocking: true,
  },
  // LONG SCardGetAttrib(SCARDHANDLE hCard, DWORD dwAttrId, LPBYTE pbAttr, LPDWORD pcbAttrLen)
  SCardGetAttrib: {
    parameters: [LONG, DWORD, "buffer", "buffer"],
    result: LONG,
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The typed functions of a loaded pcsc-lite. */
export type PcscSymbols = Deno.DynamicLibrary<typeof PCSC_SYMBOLS>["symbols"];

/** A loaded pcsc-lite (or a test double with the same symbols). */
export interface PcscLibrary {
  /** The library functions. */
  readonly symbols: PcscSymbols;
  /** Where it was loaded from (for logs), e.g. `"libpcsclite.so.1"`. */
  readonly path: string;
}

/** The environment variable that overrides the library path. */
export const PCSC_LIBRARY_ENV = "SCD_TS_PCSC_LIBRARY";

/** One place the loader looked. */
export interface LoadAttempt {
  /** The path handed to `dlopen`. */
  readonly path: string;
  /** Why it failed. */
  readonly reason: string;
}

/** Thrown when no candidate library could be loaded; lists every attempt and the fix. */
export class PcscLibraryError extends Error {
  /** Every path tried, in order, with its failure reason. */
  readonly attempts: readonly LoadAttempt[];
  /** `attempts` lists every path tried with its failure. */
  constructor(message: string, attempts: readonly LoadAttempt[], options?: ErrorOptions) {
    super(message, options);
    this.name = "PcscLibraryError";
    this.attempts = attempts;
  }
}

/**
 * The paths to try, in order: `$SCD_TS_PCSC_LIBRARY` (when set), then the platform's names
 * (`libpcsclite.so.1`, `libpcsclite.so`; Apple's PCSC framework on macOS).
 */
export function libraryCandidates(
  override: string | undefined,
  os: typeof Deno.build.os = Deno.build.os,
): string[] {
  const platform = os === "darwin"
    ? ["/System/Library/Frameworks/PCSC.framework/PCSC"]
    : ["libpcsclite.so.1", "libpcsclite.so"];
  return override === undefined || override === "" ? platform : [override, ...platform];
}

/** Builds the "not found" error text from the attempts (exported for tests). */
export function describeLoadFailure(attempts: readonly LoadAttempt[]): string {
  const tried = attempts.map((a) => `${a.path}: ${a.reason}`).join("; ");
  return `Cannot load libpcsclite.so.1: not found (tried ${tried}): install pcscd/libpcsclite1 ` +
    `(Debian: apt-get install pcscd libpcsclite1) or set ${PCSC_LIBRARY_ENV} to the library path`;
}

function readOverride(): string | undefined {
  try {
    return Deno.env.get(PCSC_LIBRARY_ENV);
  } catch {
    return undefined; // no --allow-env: just use the default names
  }
}

let loaded: PcscLibrary | undefined;

/**
 * Loads pcsc-lite on first call and returns the same library afterwards.
 * Throws {@linkcode PcscLibraryError} naming every path tried, or a permission error that
 * says to run with `--allow-ffi`.
 */
export function openPcsc(): PcscLibrary {
  if (loaded !== undefined) return loaded;
  const attempts: LoadAttempt[] = [];
  for (const path of libraryCandidates(readOverride())) {
    try {
      const lib = Deno.dlopen(path, PCSC_SYMBOLS);
      loaded = { symbols: lib.symbols, path };
      return loaded;
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        throw new PcscLibraryError(
          `Cannot load ${path}: FFI is not allowed (run with --allow-ffi)`,
          [{ path, reason: String(e) }],
          { cause: e },
        );
      }
      attempts.push({ path, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new PcscLibraryError(describeLoadFailure(attempts), attempts);
}
