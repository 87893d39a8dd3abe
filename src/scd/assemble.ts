/**
 * The one place that assembles the daemon from its settings, so that every way of running it
 * — main.ts, the user commands (src/cli), the integration fixture, the fuzz daemon and the
 * unit harness — is wired the same way and a fixture cannot drift from what users run
 * (style.md §3.20):
 *
 * ```
 * ScdConfig ─► readerBackend    `reader`: PC/SC (busy-timeout, pool-ttl) or virtual:STATEFILE,
 *                               plus the tokens of `pkcs11-module` as readers beside it
 *           ─► withApduLog      APDU traffic at debug level, PINs redacted
 *           ─► appOpener        the card application: OpenPGP (pin-policy, deny-admin, hold)
 *           ─► CardRegistry     `reader` as reader match, monitor-idle
 *           ─► ScdServer        the Assuan command table, `trace`
 * ```
 *
 * Tests replace a part (their own card behind the in-process backend, a fake backend and
 * application) and keep the rest; nothing else differs from the user's daemon. A second
 * application kind (PKCS#11) is one more case in {@linkcode appOpener}, a second token source
 * one more in {@linkcode readerBackend}.
 * @module
 */

import { TraceFile, type TraceSink } from "../assuan/mod.ts";
import { getLog } from "../log.ts";
import { OpenPgpApplication } from "../openpgp/mod.ts";
import type { CardReaderBackend } from "../pcsc/mod.ts";
import { withApduLog } from "./apdu_log.ts";
import type { AgentProbe } from "./agent_version.ts";
import type { AppOpener, AppOpenRequest } from "./card_entry.ts";
import { CardRegistry } from "./cards.ts";
import { pinPolicyOf, type ScdConfig } from "./config.ts";
import { pkcs11ModulePaths, withPkcs11Tokens } from "./pkcs11_tokens.ts";
import { processEnv } from "./paths.ts";
import { burstHold, readerSetting } from "./reader_settings.ts";
import { ScdServer } from "./server.ts";

const log = getLog("scd");

/** The `reader` value that names the built-in card in process: `virtual:STATEFILE`. */
export const VIRTUAL_PREFIX = "virtual:";

/** Options of {@linkcode readerBackend} the config does not say. */
export interface ReaderBackendOptions {
  /** Instead of `busy-timeout` (the user commands give up sooner than the daemon). */
  busyTimeoutMs?: number;
  /** Instead of `pool-ttl`; 0 keeps no handle. */
  poolTtlMs?: number;
}

/**
 * Where cards are: pcscd, or for `virtual:STATEFILE` the built-in card in process with the
 * profile `SCD_TS_VIRTUAL_PROFILE` names (docs/cards.md; read here rather than in ScdConfig
 * because it exists only for that card). Both are loaded when first asked for: the PC/SC
 * side needs `--allow-ffi` only once a card is used.
 */
export async function readerBackend(
  config: Pick<ScdConfig, "reader" | "values">,
  options: ReaderBackendOptions = {},
): Promise<CardReaderBackend> {
  const reader = config.reader ?? "";
  if (reader.startsWith(VIRTUAL_PREFIX)) {
    const statePath = reader.slice(VIRTUAL_PREFIX.length) || undefined;
    const profile = processEnv("SCD_TS_VIRTUAL_PROFILE") || undefined;
    // the in-process card is a backend like pcscd (tests/lint_layers_table.ts EXCEPTIONS)
    const { VirtualCard } = await import("../virtual/mod.ts");
    const { VirtualBackend } = await import("../pcsc/mod.ts");
    const card = await VirtualCard.open({
      ...(statePath ? { statePath } : {}),
      ...(profile ? { profile } : {}),
    });
    return new VirtualBackend(card);
  }
  const { PcscBackend, HandlePool } = await import("../pcsc/mod.ts");
  const poolTtl = options.poolTtlMs ?? readerSetting(config, "pool-ttl");
  return new PcscBackend({
    busyTimeoutMs: options.busyTimeoutMs ?? readerSetting(config, "busy-timeout"),
    ...(poolTtl > 0 ? { pool: new HandlePool(poolTtl) } : {}),
  });
}

/**
 * Opens the OpenPGP application with the config's policies: `pin-policy`, `deny-admin`, and
 * the burst hold (`hold`, `hold-max`; off while the PIN cache is).
 */
export function openPgpOpener(
  config: ScdConfig,
): (request: AppOpenRequest) => Promise<OpenPgpApplication> {
  const pinPolicy = pinPolicyOf(config);
  const { holdMs, holdMaxMs } = burstHold(config);
  return ({ backend, reader }) =>
    OpenPgpApplication.open(
      (fn, options) => backend.withCard(reader, (channel) => fn(channel), options ?? {}),
      { pinPolicy, allowAdmin: !config.denyAdmin, holdMs, holdMaxMs },
    );
}

/** The application the daemon opens on a card; OpenPGP is the only kind so far. */
export function appOpener(config: ScdConfig): AppOpener {
  return openPgpOpener(config);
}

/** Parts a caller brings instead of the ones the config chooses (tests, mostly). */
export interface DaemonParts {
  /** The reader backend instead of {@linkcode readerBackend}'s choice. */
  backend?: CardReaderBackend;
  /** The application opener instead of {@linkcode appOpener}'s. */
  openApp?: AppOpener;
  /** Assuan trace instead of the config's `trace` file (the caller closes it). */
  trace?: { withPrefix(prefix: string): TraceSink } | undefined;
  /** Start the reader monitor now (default true, as the daemon does). */
  watch?: boolean;
  /** GETINFO pid (default `Deno.pid`). */
  pid?: number;
  /** Sends the event signal (default `Deno.kill`). */
  signalPeer?: (pid: number, signal: Deno.Signal) => void;
  /** How GETINFO version finds the parent gpg-agent's version (default: the real system). */
  agentProbe?: AgentProbe;
}

/** An assembled daemon: serve sessions with `server`, end with `close`. */
export interface Daemon extends AsyncDisposable {
  readonly config: ScdConfig;
  /** The backend every card operation goes through (APDU log included). */
  readonly backend: CardReaderBackend;
  readonly cards: CardRegistry;
  readonly server: ScdServer;
  /** Ends held transactions (they keep a PIN verified), the trace and the monitor. */
  close(): Promise<void>;
}

/**
 * The trace file of `trace`, or stderr with a warning when it cannot be used (a symlink,
 * another user's file, no such directory): a daemon that does not start leaves gpg without
 * a card.
 */
async function openTrace(path: string): Promise<TraceFile> {
  try {
    return await TraceFile.open(path);
  } catch (e) {
    log.warning("Cannot write the Assuan trace to {file}: {error}; tracing to stderr", {
      file: path,
      error: (e as Error).message,
    });
    return TraceFile.stderr();
  }
}

/**
 * The daemon `config` describes, with `parts` in place of the chosen ones; the reader monitor
 * runs unless `parts.watch` is false.
 */
export async function buildDaemon(config: ScdConfig, parts: DaemonParts = {}): Promise<Daemon> {
  const off = burstHold(config).off;
  if (off) log.info("Burst hold off: {why}", { why: off });
  const sources = parts.backend
    ? { backend: parts.backend, openApp: parts.openApp, close: async () => {} }
    : await withConfiguredTokens(config, await readerBackend(config), parts.openApp);
  const traceFile = !parts.trace && config.traceFile
    ? await openTrace(config.traceFile)
    : undefined;
  const daemon = assembleDaemon(config, {
    ...parts,
    backend: sources.backend,
    ...(sources.openApp ? { openApp: sources.openApp } : {}),
    trace: parts.trace ?? traceFile,
  });
  if (parts.watch ?? true) await daemon.cards.watch();
  const close = async () => {
    await daemon.close();
    traceFile?.close();
    await sources.close().catch(() => {});
  };
  return { ...daemon, close, [Symbol.asyncDispose]: close };
}

/**
 * The tokens of `pkcs11-module` as readers beside `backend`, with a PKCS#11 application on
 * them (docs/pkcs11.md; src/pkcs11 is loaded only then); `close` finalises the modules. Without
 * modules, `backend` and `openApp` as they are.
 */
async function withConfiguredTokens(
  config: ScdConfig,
  backend: CardReaderBackend,
  openApp: AppOpener | undefined,
): Promise<{ backend: CardReaderBackend; openApp?: AppOpener; close(): Promise<void> }> {
  const modules = pkcs11ModulePaths(config);
  if (modules.length === 0) {
    return { backend, ...(openApp ? { openApp } : {}), close: async () => {} };
  }
  const tokens = await withPkcs11Tokens(backend, modules);
  return {
    backend: tokens.backend,
    openApp: tokens.opener(openApp ?? appOpener(config)),
    close: () => tokens.close(),
  };
}

/**
 * The card side as {@linkcode buildDaemon} makes it (backend, PKCS#11 tokens, application
 * opener, registry with its monitor running) without the Assuan server: `scd-ts ssh-agent`.
 */
export async function buildCards(
  config: ScdConfig,
): Promise<{ cards: CardRegistry; close(): Promise<void> } & AsyncDisposable> {
  const sources = await withConfiguredTokens(config, await readerBackend(config), undefined);
  const { cards } = assembleCards(config, {
    backend: sources.backend,
    ...(sources.openApp ? { openApp: sources.openApp } : {}),
  });
  await cards.watch();
  const close = async () => {
    await closeCards(cards);
    await sources.close().catch(() => {});
  };
  return { cards, close, [Symbol.asyncDispose]: close };
}

/**
 * {@linkcode buildDaemon}'s wiring for a caller that brings the backend (and a trace, if
 * any): nothing to open or wait for, so it returns at once. The monitor is not started.
 */
export function assembleDaemon(
  config: ScdConfig,
  parts: DaemonParts & { backend: CardReaderBackend },
): Daemon {
  const { backend, cards } = assembleCards(config, parts);
  const server = new ScdServer({
    config,
    cards,
    trace: parts.trace,
    ...(parts.pid !== undefined ? { pid: parts.pid } : {}),
    ...(parts.signalPeer ? { signalPeer: parts.signalPeer } : {}),
    ...(parts.agentProbe ? { agentProbe: parts.agentProbe } : {}),
  });
  const close = async () => {
    server.close();
    await closeCards(cards);
  };
  return { config, backend, cards, server, close, [Symbol.asyncDispose]: close };
}

/**
 * The card side of the daemon without the Assuan server — backend with APDU log, application
 * opener, registry — for a front end that speaks another protocol over the same registry, PIN
 * policy and card model (design.md §2 item 7). The monitor is not started.
 */
export function assembleCards(
  config: ScdConfig,
  parts: Pick<DaemonParts, "openApp"> & { backend: CardReaderBackend },
): { backend: CardReaderBackend; cards: CardRegistry } {
  const backend = withApduLog(parts.backend);
  const virtual = config.reader?.startsWith(VIRTUAL_PREFIX) ?? false;
  const cards = new CardRegistry(backend, {
    openApp: parts.openApp ?? appOpener(config),
    readerPort: virtual ? undefined : config.reader,
    monitorIdleMs: readerSetting(config, "monitor-idle"),
  });
  return { backend, cards };
}

/** Ends held transactions (a held one keeps the PIN verified) and stops the monitor. */
export async function closeCards(cards: CardRegistry): Promise<void> {
  for (const card of cards.cards) await card.app?.release?.().catch(() => {});
  await cards.close();
}
