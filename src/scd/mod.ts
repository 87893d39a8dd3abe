/**
 * scdaemon semantics: the Assuan command table over card applications, the card registry,
 * the per-session state, and the process lifetime of stock scdaemon. {@linkcode buildDaemon}
 * assembles a {@linkcode CardRegistry} over a reader backend and an {@linkcode ScdServer} over
 * it from the settings (assemble.ts); `main.ts` hands the server to {@linkcode runDaemon}.
 *
 * Invariant: nothing here holds a PC/SC handle between commands (the reader layer's optional
 * pool, `pool-ttl`, is the only place one may be kept). Sessions and the registry
 * keep reader names and application objects; every card operation is one `withCard`
 * transaction in the reader layer, and the OpenPGP application re-selects itself in each.
 * @module
 */

export { withApduLog } from "./apdu_log.ts";
export {
  appOpener,
  assembleCards,
  assembleDaemon,
  buildCards,
  buildDaemon,
  closeCards,
  type Daemon,
  type DaemonParts,
  openPgpOpener,
  readerBackend,
  type ReaderBackendOptions,
  VIRTUAL_PREFIX,
} from "./assemble.ts";
export { parseArgs, type ParsedArgs, type RunMode } from "./argv.ts";
export {
  type AppOpener,
  type AppOpenRequest,
  type CardChange,
  type CardEntry,
  type CardRegistryOptions,
  NoCardError,
} from "./card_entry.ts";
export { CardRegistry } from "./cards.ts";
export { type Command, type DaemonInfo, parseLine, type ScdContext } from "./command.ts";
export {
  CONFIG_KEYS,
  DEFAULT_COMPAT_VERSION,
  envName,
  loadConfig,
  parseConfigFile,
  pinPolicyOf,
  resolveConfig,
  SCD_TS_VARIABLES,
  type ScdConfig,
} from "./config.ts";
export { type DaemonOptions, runDaemon } from "./daemon.ts";
export { gpgCodeForSw, toGpgError } from "./errors.ts";
export {
  CachingPinProvider,
  parseDuration,
  PinCache,
  pinCacheWithRegistry,
  pinTtlMs,
} from "./pin/mod.ts";
export { pkcs11ModulePaths, type TokenReaders, withPkcs11Tokens } from "./pkcs11_tokens.ts";
export { processEnv, resolveHomedir, SOCKET_NAME, socketDir } from "./paths.ts";
export { type BurstHold, burstHold, READER_DEFAULTS, readerSetting } from "./reader_settings.ts";
export { HELLO, ScdServer, type ScdServerOptions, type SessionOptions } from "./server.ts";
export { SessionState } from "./state.ts";
export { COMMANDS, withErrorMapping } from "./table.ts";
