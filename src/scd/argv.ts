/**
 * The command line stock scdaemon accepts, parsed the way gpgrt's argparse does: long options
 * `--name`, `--name=value` or `--name value`, unique prefixes (`--multi` = `--multi-server`),
 * the short flags `-v -q -s -c -h`, and `--` to end options. gpg-agent passes only
 * `--multi-server [--homedir DIR]` (scdaemon-protocol.md §1.3); users and scripts pass more
 * (the option table of gpg/gnupg:scd/scdaemon.c, 2.2.40 and 2.4.7). Options scd-ts has no use
 * for are accepted and reported in {@linkcode ParsedArgs.ignored}; unknown ones are reported
 * in {@linkcode ParsedArgs.unknown}, never fatal.
 * @module
 */

/** How the process runs. */
export type RunMode = "server" | "multi-server" | "daemon" | "none";

/** The parsed command line. */
export interface ParsedArgs {
  mode: RunMode;
  /** `--version`, `--help`, `--gpgconf-list`, `--gpgconf-test`, `--dump-options`. */
  command: "version" | "help" | "gpgconf-list" | "gpgconf-test" | "dump-options" | undefined;
  homedir: string | undefined;
  /** `--options FILE`: an scd-ts config file instead of `$GNUPGHOME/scd-ts.conf`. */
  options: string | undefined;
  noOptions: boolean;
  logFile: string | undefined;
  /** `--reader-port`: like SCD_TS_READER. */
  readerPort: string | undefined;
  verbose: number;
  quiet: boolean;
  /** Any `--debug*` option was given (log at debug level); not `--debug-allow-core-dump`. */
  debug: boolean;
  /**
   * `--debug-allow-core-dump`: leave core dumps and ptrace alone. Without it the daemon makes
   * itself non-dumpable with no core limit at start (stock's `disable_core_dumps()`).
   */
  allowCoreDump: boolean;
  denyAdmin: boolean | undefined;
  /** `--sh`/`--csh` style for `--daemon`'s SCDAEMON_INFO line. */
  csh: boolean;
  /** Known stock options scd-ts does not use, as given (`--pcsc-shared`, `--card-timeout=5`). */
  ignored: string[];
  /** Options neither stock nor scd-ts know, as given. */
  unknown: string[];
  /** Arguments after the options (stock runs them as a program with --daemon). */
  rest: string[];
}

type Kind = "flag" | "value" | "optional";

/** Every option stock knows, with whether it takes a value. */
const OPTIONS: Record<string, Kind> = {
  "server": "flag",
  "multi-server": "flag",
  "daemon": "flag",
  "no-detach": "flag",
  "sh": "flag",
  "csh": "flag",
  "homedir": "value",
  "options": "value",
  "no-options": "flag",
  "verbose": "flag",
  "quiet": "flag",
  "debug": "value",
  "debug-all": "flag",
  "debug-level": "value",
  "debug-wait": "value",
  "debug-allow-core-dump": "flag",
  "debug-ccid-driver": "flag",
  "debug-log-tid": "flag",
  "debug-allow-pin-logging": "flag",
  "debug-assuan-log-cats": "optional",
  "log-file": "value",
  "reader-port": "value",
  "ctapi-driver": "value",
  "pcsc-driver": "value",
  "pcsc-shared": "flag",
  "disable-ccid": "flag",
  "card-timeout": "value",
  "disable-pinpad": "flag",
  "disable-keypad": "flag",
  "enable-pinpad-varlen": "flag",
  "disable-application": "value",
  "application-priority": "value",
  "compatibility-flags": "value",
  "listen-backlog": "value",
  "allow-admin": "flag",
  "deny-admin": "flag",
  "gpgconf-list": "flag",
  "gpgconf-test": "flag",
  "version": "flag",
  "help": "flag",
  "dump-options": "flag",
  "warranty": "flag",
};

const SHORT: Record<string, string> = {
  v: "verbose",
  q: "quiet",
  s: "sh",
  c: "csh",
  h: "help",
};

/** Resolve an exact name or a unique prefix (gpgrt argparse allows abbreviations). */
function resolve(name: string): string | undefined {
  if (name in OPTIONS) return name;
  const matches = Object.keys(OPTIONS).filter((o) => o.startsWith(name));
  return matches.length === 1 ? matches[0] : undefined;
}

/** Parse `argv` (without the program name). Never throws. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = {
    mode: "none",
    command: undefined,
    homedir: undefined,
    options: undefined,
    noOptions: false,
    logFile: undefined,
    readerPort: undefined,
    verbose: 0,
    quiet: false,
    debug: false,
    allowCoreDump: false,
    denyAdmin: undefined,
    csh: false,
    ignored: [],
    unknown: [],
    rest: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.rest.push(...argv.slice(i + 1));
      break;
    }
    if (/^-[a-zA-Z]+$/.test(arg)) {
      for (const c of arg.slice(1)) {
        const long = SHORT[c];
        if (long) apply(out, long, undefined, arg);
        else out.unknown.push(`-${c}`);
      }
      continue;
    }
    if (!arg.startsWith("--")) {
      out.rest.push(...argv.slice(i));
      break;
    }
    const eq = arg.indexOf("=");
    const given = arg.slice(2, eq < 0 ? undefined : eq);
    let value = eq < 0 ? undefined : arg.slice(eq + 1);
    const name = resolve(given);
    if (name === undefined) {
      out.unknown.push(arg);
      continue;
    }
    if (OPTIONS[name] === "value" && value === undefined) {
      value = argv[++i];
      if (value === undefined) {
        out.unknown.push(arg); // a missing value is reported, not fatal
        continue;
      }
    }
    apply(out, name, value, value === undefined || eq >= 0 ? arg : `${arg} ${value}`);
  }
  return out;
}

function apply(out: ParsedArgs, name: string, value: string | undefined, as: string): void {
  switch (name) {
    case "server":
      if (out.mode !== "multi-server") out.mode = "server";
      return;
    case "multi-server":
      out.mode = "multi-server";
      return;
    case "daemon":
      if (out.mode === "none") out.mode = "daemon";
      return;
    case "csh":
      out.csh = true;
      return;
    case "sh":
      out.csh = false;
      return;
    case "homedir":
      out.homedir = value;
      return;
    case "options":
      out.options = value;
      return;
    case "no-options":
      out.noOptions = true;
      return;
    case "verbose":
      out.verbose++;
      return;
    case "quiet":
      out.quiet = true;
      return;
    case "log-file":
      out.logFile = value;
      return;
    case "reader-port":
      out.readerPort = value;
      return;
    case "allow-admin":
      out.denyAdmin = false;
      return;
    case "deny-admin":
      out.denyAdmin = true;
      return;
    case "debug-allow-core-dump":
      // stock's flag only allows the dump; it does not turn on debug output
      out.allowCoreDump = true;
      return;
    case "version":
    case "help":
    case "gpgconf-list":
    case "gpgconf-test":
    case "dump-options":
      out.command ??= name;
      return;
    case "warranty":
      out.command ??= "version";
      return;
  }
  if (name.startsWith("debug")) {
    // `--debug-level none` asks for no debug output; everything else turns it on.
    if (!(name === "debug-level" && value === "none")) out.debug = true;
    return;
  }
  out.ignored.push(as);
}
