/**
 * scd-ts: a drop-in replacement for GnuPG's scdaemon. gpg-agent runs it as
 * `scdaemon-program` with `--multi-server [--homedir DIR]`; it then speaks Assuan on
 * stdin/stdout and on the socket `S.scdaemon`. See README.md for the options and `SCD_TS_*`
 * settings, src/scd for the protocol. This is the only file that calls `Deno.exit`.
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { disableCoreDumps } from "./ffi/mod.ts";
import { setupLogging } from "./src/log.ts";
import { getLog } from "./src/log.ts";
import type { CardReaderBackend } from "./src/pcsc/mod.ts";
import { TraceFile } from "./src/assuan/mod.ts";
import { isUserCommand, runUserCommand, virtualBackend } from "./src/cli/mod.ts";
import {
  type AppOpener,
  burstHold,
  CardRegistry,
  DEFAULT_COMPAT_VERSION,
  loadConfig,
  parseArgs,
  type ParsedArgs,
  pinPolicyOf,
  readerSetting,
  resolveHomedir,
  runDaemon,
  type ScdConfig,
  ScdServer,
  withApduLog,
} from "./src/scd/mod.ts";

const VERSION = denoJson.version;
const log = getLog("main");

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

const HELP = `Usage: scd-ts [options] (--multi-server | --server | --daemon)
       scd-ts probe (readers | info | loop | doctor) [--json] | doctor | install | uninstall | demo
Smartcard daemon for GnuPG (drop-in replacement for scdaemon).

  --multi-server       serve gpg-agent on stdin/stdout and the socket S.scdaemon
  --server             serve one session on stdin/stdout
  --daemon             serve the socket only (prints SCDAEMON_INFO; does not fork)
  --homedir DIR        GnuPG home (default $GNUPGHOME or ~/.gnupg)
  --options FILE       read settings from FILE instead of <homedir>/scd-ts.conf
  --log-file FILE      log to FILE (default $SCD_TS_LOG, else stderr)
  --reader-port NAME   use the reader NAME (like SCD_TS_READER)
  --deny-admin         refuse admin commands
  --debug-allow-core-dump  leave core dumps on (else the daemon is not dumpable, core limit 0)
  -v, --verbose        log more;  -q, --quiet  log less;  --debug*  log debug output
  --version, --help

Other scdaemon options are accepted and ignored. Settings (environment wins over the file):
  SCD_TS_READER=NAME | virtual:STATEFILE   reader, or the in-process virtual card
  SCD_TS_VIRTUAL_PROFILE=NAME              that card's profile (docs/cards.md; default openpgp34)
  SCD_TS_LOG=FILE  SCD_TS_LOG_LEVEL=debug|info|warning|error
  SCD_TS_TRACE=FILE                        Assuan trace (<-/-> lines, PINs redacted)
  SCD_TS_COMPAT_VERSION=X.Y.Z              what GETINFO version reports (default: the parent
                                           gpg-agent's version, else ${DEFAULT_COMPAT_VERSION})
  SCD_TS_DENY_ADMIN=yes
  SCD_TS_PIN_TTL=10m  SCD_TS_PIN_POLICY=strict|session
  SCD_TS_CARD_STATE_TTL=10m  SCD_TS_BUSY_TIMEOUT=30s  SCD_TS_POOL_TTL=0
  SCD_TS_HOLD=500ms  SCD_TS_HOLD_MAX=2s  SCD_TS_MONITOR_IDLE=10m
Use in ~/.gnupg/gpg-agent.conf:  scdaemon-program /path/to/scd-ts`;

/** The reader backend: PC/SC, or the in-process virtual card for `virtual:STATEFILE`. */
async function makeBackend(config: ScdConfig): Promise<CardReaderBackend> {
  const reader = config.reader ?? "";
  if (reader.startsWith("virtual:")) return await virtualBackend(reader);
  const { PcscBackend, HandlePool } = await import("./src/pcsc/mod.ts");
  const poolTtl = readerSetting(config, "pool-ttl");
  return new PcscBackend({
    busyTimeoutMs: readerSetting(config, "busy-timeout"),
    ...(poolTtl > 0 ? { pool: new HandlePool(poolTtl) } : {}),
  });
}

/** Opens the OpenPGP application with the configured policies. */
function openPgpOpener(config: ScdConfig): AppOpener {
  const pinPolicy = pinPolicyOf(config);
  const { holdMs, holdMaxMs, off } = burstHold(config);
  if (off) log.info("Burst hold off: {why}", { why: off });
  return async ({ backend, reader }) => {
    // loaded when a card is first opened, not before the greeting
    const { OpenPgpApplication } = await import("./src/openpgp/mod.ts");
    return await OpenPgpApplication.open(
      (fn, options) => backend.withCard(reader, (channel) => fn(channel), options ?? {}),
      { pinPolicy, allowAdmin: !config.denyAdmin, holdMs, holdMaxMs },
    );
  };
}

function printVersion(config: ScdConfig | undefined): void {
  console.log(`scd-ts ${VERSION}`);
  console.log(
    `compatible with scdaemon (GnuPG) ${config?.compatVersion ?? DEFAULT_COMPAT_VERSION}`,
  );
}

/**
 * The Assuan trace file, or stderr with a warning when it cannot be used (a symlink, another
 * user's file, no such directory): a daemon that does not start leaves gpg without a card.
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
 * Stock's `disable_core_dumps()` unless `--debug-allow-core-dump`: PINs sit in the PIN cache
 * for minutes, so a crash must leave no core file and the process must be closed to other
 * processes of the same user (ffi/libc.ts says why both calls). Done before the first
 * command, so before any PIN reaches the process. Where libc cannot be used (not Linux, no
 * --allow-ffi) the daemon still serves, with a warning.
 */
function hardenProcess(args: ParsedArgs): void {
  if (args.allowCoreDump) {
    log.warning("Core dumps allowed (--debug-allow-core-dump): cached PINs may end up in one");
    return;
  }
  try {
    disableCoreDumps();
    log.debug("Core dumps disabled; the process is not dumpable");
  } catch (e) {
    log.warning("Cannot disable core dumps: {error}", { error: (e as Error).message });
  }
}

async function serve(args: ParsedArgs, config: ScdConfig, homedir: string): Promise<number> {
  const mode = args.mode;
  if (mode === "none") {
    console.error("scd-ts: please use the option '--daemon' to run the program in the background");
    return 0;
  }
  hardenProcess(args);
  const backend = withApduLog(await makeBackend(config));
  const cards = new CardRegistry(backend, {
    openApp: openPgpOpener(config),
    readerPort: config.reader?.startsWith("virtual:") ? undefined : config.reader,
    monitorIdleMs: readerSetting(config, "monitor-idle"),
  });
  await cards.watch();
  const trace = config.traceFile ? await openTrace(config.traceFile) : undefined;
  const server = new ScdServer({ config, cards, trace });
  const peer = Number(env("_assuan_pipe_connect_pid"));
  let uid: number | null = null;
  try {
    uid = Deno.uid();
  } catch {
    // no --allow-sys: the socket goes into the homedir
  }
  try {
    return await runDaemon({
      mode,
      server,
      homedir,
      env,
      uid,
      csh: args.csh,
      peerPid: Number.isInteger(peer) && peer > 0 ? peer : undefined,
    });
  } finally {
    // a held transaction keeps the PIN verified: reset it before the process goes
    for (const card of cards.cards) await card.app?.release?.().catch(() => {});
    trace?.close();
  }
}

async function main(argv: string[]): Promise<number> {
  // `scd-ts probe|doctor|install|uninstall|demo`: gpg-agent always starts the daemon with
  // options (`--multi-server`), so a first word selects the user commands
  if (isUserCommand(argv)) return await runUserCommand(argv);
  const args = parseArgs(argv);
  if (args.command === "help") {
    console.log(HELP);
    return 0;
  }
  const homedir = resolveHomedir(args.homedir, { env, cwd: Deno.cwd() });
  const { config, warnings } = await loadConfig(homedir, { env, args });
  if (args.command === "version") {
    printVersion(config);
    return 0;
  }
  if (args.command !== undefined) return 0; // --gpgconf-list/-test, --dump-options: nothing to say
  const logging = await setupLogging({ logFile: config.logFile, level: config.logLevel });
  try {
    log.info("scd-ts {version} starting ({mode}, homedir {homedir})", {
      version: VERSION,
      mode: args.mode,
      homedir,
    });
    for (const w of warnings) log.warning("{warning}", { warning: w });
    for (const u of args.unknown) log.warning("Unknown option {option} ignored", { option: u });
    if (args.ignored.length > 0) {
      log.info("Options without effect in scd-ts: {options}", { options: args.ignored.join(" ") });
    }
    return await serve(args, config, homedir);
  } catch (e) {
    log.fatal("Cannot run: {error}", { error: e });
    return 2;
  } finally {
    loggingClosed = true;
    await logging[Symbol.asyncDispose]();
  }
}

/**
 * A daemon must not die of a stray rejected promise (a late write to a closed client, a log
 * line after shutdown): log it while logging works, then keep going.
 */
let loggingClosed = false;
function onUnhandledRejection(event: PromiseRejectionEvent): void {
  event.preventDefault();
  if (!loggingClosed) log.error("Unhandled rejection: {error}", { error: event.reason });
}

if (import.meta.main) {
  globalThis.addEventListener("unhandledrejection", onUnhandledRejection);
  Deno.exit(await main(Deno.args));
}
