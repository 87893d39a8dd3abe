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
import { isUserCommand, runUserCommand } from "./src/cli/mod.ts";
import {
  buildCards,
  buildDaemon,
  CachingPinProvider,
  DEFAULT_COMPAT_VERSION,
  loadConfig,
  parseArgs,
  type ParsedArgs,
  parseDuration,
  pinCacheWithRegistry,
  pinTtlMs,
  processEnv as env,
  resolveHomedir,
  runDaemon,
  type ScdConfig,
} from "./src/scd/mod.ts";
// a type only: src/ssh itself is loaded in ssh-agent mode alone
import type { SshPinCache } from "./src/ssh/mod.ts";

const VERSION = denoJson.version;
const log = getLog("main");

const HELP = `Usage: scd-ts [options] (--multi-server | --server | --daemon)
       scd-ts probe (readers | info | loop | doctor) [--json] | doctor | install | uninstall | demo
       scd-ts ssh-agent [-a SOCKET] [-D] [-t TTL]   (SSH agent for the cards; --help)
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
  SCD_TS_PKCS11_MODULE=PATH[:PATH]         PKCS#11 modules whose tokens act as cards
Use in ~/.gnupg/gpg-agent.conf:  scdaemon-program /path/to/scd-ts`;

function printVersion(config: ScdConfig | undefined): void {
  console.log(`scd-ts ${VERSION}`);
  console.log(
    `compatible with scdaemon (GnuPG) ${config?.compatVersion ?? DEFAULT_COMPAT_VERSION}`,
  );
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

/**
 * `scd-ts ssh-agent`: the daemon's registry, PIN cache and applications (src/scd/assemble.ts)
 * handed to src/ssh (loaded only for this mode, so the daemon's start-up never reads it).
 */
async function sshAgent(argv: string[]): Promise<number> {
  const ssh = await import("./src/ssh/mod.ts");
  let sshArgs;
  try {
    sshArgs = ssh.parseSshArgs(argv, env("SHELL"));
  } catch (e) {
    console.error(`scd-ts ssh-agent: ${(e as Error).message}\n${ssh.SSH_AGENT_HELP}`);
    return 2;
  }
  if (sshArgs.help) {
    console.log(ssh.SSH_AGENT_HELP);
    return 0;
  }
  const homedir = resolveHomedir(undefined, { env, cwd: Deno.cwd() });
  const scdArgs = parseArgs([]); // scd-ts.conf and SCD_TS_* settings, no daemon options
  const { config, warnings } = await loadConfig(homedir, { env, args: scdArgs });
  const ttlMs = sshArgs.ttl === undefined ? pinTtlMs(config) : parseDuration(sshArgs.ttl);
  if (ttlMs === undefined) {
    console.error(`scd-ts ssh-agent: Cannot read TTL "${sshArgs.ttl}"`);
    return 2;
  }
  const uid = Deno.uid() ?? 0;
  // without -D: the same command line again with -D, detached; nothing else is built here
  if (!sshArgs.foreground) return await ssh.startDetached(sshArgs, env, uid);
  return await withLogging(config, async () => {
    for (const w of warnings) log.warning("{warning}", { warning: w });
    hardenProcess(scdArgs);
    await using cardSide = await buildCards(config); // the daemon's assembly, no Assuan
    const cards = cardSide.cards;
    // a removed or swapped card's PINs go with it, as in the daemon (scd/pin/context.ts)
    const pins = pinCacheWithRegistry(cards, config, ttlMs);
    using _wipe = { [Symbol.dispose]: () => pins.close() }; // PINs wiped when the agent ends
    const cache = pins.cache;
    const pinentry = await ssh.findPinentry(homedir, env);
    if (!pinentry) log.warning("No pinentry found: PINs only through ssh-add -s");
    const memory: SshPinCache = {
      provider: (card, ask, options) =>
        new CachingPinProvider(ask, cache, card, { answer: !options?.fresh }),
      drop: (card) => cache.drop(card),
      clear: () => cache.clear(),
    };
    return await ssh.runSshAgent({
      args: sshArgs,
      env,
      uid,
      cards,
      pins: await ssh.pinStoreFor(config.values, ttlMs, memory),
      ask: pinentry ? ssh.pinentryProvider(pinentry) : undefined,
      notifySend: await ssh.findOnPath("notify-send", env),
      refuseForwarded: sshArgs.refuseForwarded || ssh.refuseForwardedSetting(config.values),
    });
  });
}

/** Runs `fn` with logging set up from `config`; a throw is logged as fatal (exit code 2). */
async function withLogging(config: ScdConfig, fn: () => Promise<number>): Promise<number> {
  const logging = await setupLogging({ logFile: config.logFile, level: config.logLevel });
  try {
    return await fn();
  } catch (e) {
    log.fatal("Cannot run: {error}", { error: e });
    return 2;
  } finally {
    loggingClosed = true;
    await logging[Symbol.asyncDispose]();
  }
}

async function serve(args: ParsedArgs, config: ScdConfig, homedir: string): Promise<number> {
  const mode = args.mode;
  if (mode === "none") {
    console.error("scd-ts: please use the option '--daemon' to run the program in the background");
    return 0;
  }
  hardenProcess(args);
  const daemon = await buildDaemon(config);
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
      server: daemon.server,
      homedir,
      env,
      uid,
      csh: args.csh,
      peerPid: Number.isInteger(peer) && peer > 0 ? peer : undefined,
    });
  } finally {
    await daemon.close();
  }
}

async function main(argv: string[]): Promise<number> {
  // `scd-ts probe|doctor|install|uninstall|demo`: gpg-agent always starts the daemon with
  // options (`--multi-server`), so a first word selects the user commands
  if (isUserCommand(argv)) return await runUserCommand(argv);
  if (argv[0] === "ssh-agent") return await sshAgent(argv.slice(1));
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
  return await withLogging(config, async () => {
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
  });
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
