/**
 * `deno task vcard`: run the virtual OpenPGP card in vsmartcard's vpcd reader, so that pcscd
 * (and through it gpg's stock scdaemon, OpenSC, or scd-ts) sees a real-looking card.
 *
 * Prints exactly one line on stdout, `vcard: connected <host>:<port>`, the first time vpcd
 * accepts the connection (tests wait for it); everything else goes to stderr.
 * @module
 */

import { parseArgs } from "node:util";
import { VirtualCard, type VirtualCardOptions } from "./card.ts";
import { ControlServer } from "./control.ts";
import { LatencySyntaxError, parseLatency } from "./latency.ts";
import {
  type CardProfile,
  DEFAULT_PROFILE,
  latencyModelsFor,
  profileByName,
  PROFILES,
  UnknownProfileError,
} from "./profiles/mod.ts";
import { VPCD_PORT, VpcdClient } from "./vpcd.ts";

const USAGE = `Usage: deno task vcard [options]

Run the virtual OpenPGP card as a card in vsmartcard's vpcd reader.

Options:
  --profile NAME       card family to model (default ${DEFAULT_PROFILE}; docs/cards.md):
                       ${Object.keys(PROFILES).join(", ")}
                       (a state file made for one profile cannot be opened with another)
  --host HOST          vpcd host (default 127.0.0.1)
  --port PORT          vpcd port: 35963 = "Virtual PCD 00 00", 35964 = "00 01" (default ${VPCD_PORT})
  --state FILE         JSON state file, loaded if present and written on every change
  --serial HEX8        card serial number, 8 hex digits (default 00000001)
  --latency MODEL      simulated card latency: none (default), real (the profile's model),
                       a profile name (its model), or INS[P1[P2]][/KEY]=MS,... e.g.
                       20=800,2A=150,default=10 (a model name may come first:
                       real,20=500); see src/virtual/latency.ts
  --latency-apdu MS    simulated delay per APDU (old form of --latency)
  --latency-pso MS     extra delay per PSO / INTERNAL AUTHENTICATE / GENERATE (old form)
  --auto-touch MS      confirm user-presence (UIF) after MS ms; -1 waits for a control "touch"
  --control PORT       JSON-lines control port on 127.0.0.1 (see src/virtual/control.ts)
  -h, --help           show this help

The card reconnects every 200 ms while vpcd is not reachable (pcscd not running).`;

/** Parsed command line. */
export interface CliOptions {
  host: string;
  port: number;
  controlPort: number | undefined;
  card: VirtualCardOptions;
  help: boolean;
}

/** Thrown for a bad command line (exit status 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

function intArg(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) {
    throw new UsageError(`Cannot parse --${name}: "${value}" is not an integer`);
  }
  const n = Number(value);
  if (n < min || n > max) {
    throw new UsageError(`Cannot use --${name} ${n}: allowed is ${min}..${max}`);
  }
  return n;
}

function latencyArg(spec: string, profile: CardProfile) {
  try {
    return parseLatency(spec, latencyModelsFor(profile));
  } catch (e) {
    if (e instanceof LatencySyntaxError) throw new UsageError(e.message);
    throw e;
  }
}

/** `--auto-touch -1` → `--auto-touch=-1`: parseArgs would take "-1" for an option. */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a.startsWith("--") && !a.includes("=") && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Parse `deno task vcard` arguments. */
export function parseCliArgs(args: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: joinNegativeValues(args),
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string" },
        state: { type: "string" },
        profile: { type: "string" },
        serial: { type: "string" },
        latency: { type: "string" },
        "latency-apdu": { type: "string" },
        "latency-pso": { type: "string" },
        "auto-touch": { type: "string" },
        control: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    throw new UsageError(`Cannot parse arguments: ${(e as Error).message}`);
  }
  let profile: CardProfile;
  try {
    profile = profileByName(values.profile ?? DEFAULT_PROFILE);
  } catch (e) {
    if (e instanceof UnknownProfileError) {
      throw new UsageError(`Cannot use --profile: ${e.message}`);
    }
    throw e;
  }
  const card: VirtualCardOptions = values.profile === undefined ? {} : { profile };
  if (values.serial !== undefined) {
    if (!/^[0-9A-Fa-f]{8}$/.test(values.serial)) {
      throw new UsageError(`Cannot parse --serial: "${values.serial}" is not 8 hex digits`);
    }
    card.serial = parseInt(values.serial, 16);
  }
  if (values.state !== undefined) card.statePath = values.state;
  const apduMs = intArg("latency-apdu", values["latency-apdu"], 0, 600_000);
  const psoMs = intArg("latency-pso", values["latency-pso"], 0, 600_000);
  const autoTouch = intArg("auto-touch", values["auto-touch"], -1, 3_600_000);
  if (apduMs !== undefined) card.apduLatencyMs = apduMs;
  if (psoMs !== undefined) card.psoLatencyMs = psoMs;
  if (values.latency !== undefined) {
    if (apduMs !== undefined || psoMs !== undefined) {
      throw new UsageError("Cannot use --latency together with --latency-apdu/--latency-pso");
    }
    card.latency = latencyArg(values.latency, profile);
  }
  if (autoTouch !== undefined) card.autoTouchMs = autoTouch;
  return {
    host: values.host,
    port: intArg("port", values.port, 1, 65535) ?? VPCD_PORT,
    controlPort: intArg("control", values.control, 0, 65535),
    card,
    help: values.help,
  };
}

function log(message: string): void {
  console.error(`vcard: ${message}`);
}

/** Run the card until SIGINT/SIGTERM or a control `quit`; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`vcard: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  let card: VirtualCard;
  try {
    card = await VirtualCard.open(options.card);
  } catch (e) {
    // e.g. a state file made for another profile: say so instead of a stack trace
    console.error(`vcard: ${(e as Error).message}`);
    return 2;
  }
  const serial = card.serial.toString(16).toUpperCase().padStart(8, "0");
  let announced = false;
  const client = new VpcdClient(card, {
    hostname: options.host,
    port: options.port,
    log,
    onConnectionChange(connected) {
      if (connected && !announced) {
        announced = true;
        console.log(`vcard: connected ${options.host}:${options.port}`);
      }
    },
  });
  const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
  const control = options.controlPort === undefined
    ? undefined
    : ControlServer.listen({ card, link: client, quit: () => stop() }, {
      port: options.controlPort,
    });
  const onSignal = () => stop();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  log(
    `card ${serial} (profile ${card.profile.name}) waiting for vpcd at ${options.host}:${options.port}` +
      (control ? `, control port ${control.port}` : ""),
  );
  client.start();
  await stopped;
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  // Power off first: it cancels touch waits, so an APDU in progress can finish.
  card.powerOff();
  await control?.close();
  await client.close();
  log("stopped");
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
