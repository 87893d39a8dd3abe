/**
 * Shared setup for the e2e workflows: each {@linkcode cardTest} gets its own gnupg bed
 * (version from SCD_E2E_GNUPG), a fresh virtual card (fresh state file) in vpcd slot
 * SCD_E2E_SLOT, and a throwaway GNUPGHOME whose gpg-agent runs SCD_E2E_DAEMON. Everything is
 * torn down by PID afterwards; on failure the pinentry log and the daemon's trace tail are
 * printed (and the home kept with SCD_E2E_KEEP=1).
 *
 * @module
 */
import {
  GNUPG_VERSIONS,
  type GnupgBed,
  gnupgSeries,
  type GnupgVersion,
  type GpgResult,
  HOMES_BASE,
} from "../bed/gnupg.ts";
import { acquireSlot } from "../bed/slot_lock.ts";
import { GnupgBed as Bed } from "../bed/gnupg.ts";
import { type DaemonKind, GnupgHome } from "../bed/gnupghome.ts";
import { gpgInteract, type InteractResult, type PromptAnswers } from "../bed/gpg_interact.ts";
import type { PinentryAnswer, PinentryPrompt } from "../bed/pinentry.ts";
import { startVcard, type Vcard } from "../bed/vcard.ts";
import { type CardProfile, profileByName } from "../../src/virtual/profiles/mod.ts";
import { ADMIN_PIN, USER_PIN } from "../support/fixtures.ts";
import { parseCardStatus } from "./_card_status.ts";
import { Capture, CAPTURE_DIR } from "./_capture.ts";
import type { CardStatus } from "./_card_status.ts";

/** gnupg version under test (SCD_E2E_GNUPG: 2.2, 2.4 = 2.4.7, 2.4.9; default 2.2). */
export const GNUPG_VERSION = (Deno.env.get("SCD_E2E_GNUPG") ?? "2.2") as GnupgVersion;
/**
 * The release series under test, "2.2" or "2.4" (2.4.9 included): what the workflows compare
 * with when stock's behaviour differs between the series.
 */
export const GNUPG = gnupgSeries(GNUPG_VERSION);
/** Smartcard daemon under test (SCD_E2E_DAEMON, default stock). */
export const DAEMON = (Deno.env.get("SCD_E2E_DAEMON") ?? "stock") as DaemonKind;
/** Card profile of the virtual card (SCD_E2E_PROFILE, default openpgp34; docs/cards.md). */
export const PROFILE: CardProfile = profileByName(Deno.env.get("SCD_E2E_PROFILE") ?? "openpgp34");
/** Slot requested with SCD_E2E_SLOT (0 or 1); unset: whichever is free. */
const WANTED_SLOT = Deno.env.get("SCD_E2E_SLOT");
/**
 * vpcd slot this module's cards go into: SCD_E2E_SLOT, or the first slot no other e2e run
 * holds. A live binding, settled when the module's first card test opens the bed.
 */
export let SLOT: 0 | 1 = WANTED_SLOT === "1" ? 1 : 0;
/** Reader name of {@linkcode SLOT} (the same inside the chroot); live like SLOT. */
export let READER = `Virtual PCD 00 0${SLOT}`;

export { ADMIN_PIN, USER_PIN };

/** Pinentry answer for prompts that ask for the Admin PIN (not a new one). */
export function adminPin(pin = ADMIN_PIN): PinentryAnswer {
  return { pin, when: "prompt=Admin PIN" };
}
/** Pinentry answer for prompts that ask for the user PIN (not a new one). */
export function userPin(pin = USER_PIN): PinentryAnswer {
  return { pin, when: "prompt=PIN " };
}

if (!GNUPG_VERSIONS.includes(GNUPG_VERSION)) {
  throw new Error(`Cannot use SCD_E2E_GNUPG=${GNUPG_VERSION}`);
}
if (!["stock", "scd-ts"].includes(DAEMON)) throw new Error(`Cannot use SCD_E2E_DAEMON=${DAEMON}`);

/** What a workflow test gets. */
export interface CardContext {
  bed: GnupgBed;
  home: GnupgHome;
  card: Vcard;
  /** The card serial as gpg prints it (8 hex digits). */
  serial: string;
  /** The card's AID (DO 4F) in hex, as gpg prints it: the profile's version and vendor. */
  aid: string;
  /** gpg --batch --status-fd 2 in the home. */
  gpg(args: string[], options?: { stdin?: string | Uint8Array }): Promise<GpgResult>;
  /** gpg driven through --command-fd (card-edit, edit-key). */
  interact(args: string[], answers: PromptAnswers): Promise<InteractResult>;
  /** Any other tool (ssh-add, gpg-connect-agent, gpgconf) in the home. */
  run(
    cmd: string,
    args: string[],
    options?: { stdin?: string; env?: Record<string, string> },
  ): Promise<
    GpgResult
  >;
  /** `gpg --card-status`, parsed; throws when gpg fails. */
  cardStatus(): Promise<CardStatus>;
  /** Replaces the pinentry's scripted answers and clears its log. */
  pins(answers: PinentryAnswer[]): Promise<void>;
  /** The dialogs the pinentry showed since the last {@linkcode pins}. */
  prompts(): Promise<PinentryPrompt[]>;
  /**
   * Ends gpg-agent and its smartcard daemon and waits until they are gone; the next gpg call
   * starts fresh ones. (Killing only scdaemon races with gpg-agent's 2 s aliveness tick: the
   * next request can fail with "Broken pipe".)
   */
  restartAgent(): Promise<void>;
  /** Writes `text` into a file in the home and returns its path. */
  file(name: string, text: string | Uint8Array): Promise<string>;
  /** Conformance capture of named workflow steps (SCD_E2E_CAPTURE_DIR set), else undefined. */
  capture: Capture | undefined;
}

/** Options for {@linkcode cardTest}. */
export interface CardTestOptions {
  /** Card serial (8 hex digits); default derived from the test name. */
  serial?: string;
  pcscShared?: boolean;
  ignore?: boolean;
  /**
   * What the test needs from the card (capabilities of {@linkcode PROFILE}): a capability
   * name (`"factoryReset"`, `"kdf"`, …) or `slot:algorithm` (`"sig:ed25519"`). On a profile
   * that lacks one the test is not run: it is printed as "n/a" and counted as ignored.
   */
  needs?: readonly Need[];
  /** Extra environment for the scd-ts daemon (its wrapper exports it). */
  scdTsEnv?: Record<string, string>;
}

/** A boolean capability of a profile, or an algorithm a key slot must offer. */
export type Need =
  | BooleanCapability
  | `${"sig" | "dec" | "aut"}:${string}`;
type BooleanCapability = {
  [K in keyof CardProfile["capabilities"]]: CardProfile["capabilities"][K] extends boolean ? K
    : never;
}[keyof CardProfile["capabilities"]];

/** The needs `profile` does not meet (empty: the test can run). */
export function missingNeeds(profile: CardProfile, needs: readonly Need[]): Need[] {
  return needs.filter((need) => {
    const [slot, algo] = need.split(":") as [string, string | undefined];
    if (algo !== undefined) {
      const offered: readonly string[] =
        profile.capabilities.algorithms[slot as "sig" | "dec" | "aut"];
      return !offered.includes(algo);
    }
    return profile.capabilities[need as BooleanCapability] !== true;
  });
}

/** The AID of a virtual card of `profile` with `serial` (spec 3.4 §4.2.1), in hex. */
export function aidOf(profile: CardProfile, serial: string): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
  return `D27600012401${hex(profile.version)}${hex(profile.manufacturer)}${serial}0000`;
}

let serialCounter = 0x5c000000;

/** Needs of the workflows that set Curve 25519 keys (`setEccKeyAttributes(c, "1")`). */
export const CURVE25519: readonly Need[] = [
  "keyAttrChangeable",
  "sig:ed25519",
  "dec:x25519",
  "aut:ed25519",
];

/**
 * Registers a Deno test running `fn` against a fresh card and GNUPGHOME (`t`: deno's test
 * context, for steps that share the card).
 */
export function cardTest(
  name: string,
  fn: (ctx: CardContext, t: Deno.TestContext) => Promise<void>,
  options: CardTestOptions = {},
): void {
  const serial = options.serial ?? (++serialCounter).toString(16).toUpperCase().padStart(8, "0");
  const missing = missingNeeds(PROFILE, options.needs ?? []);
  if (missing.length > 0) {
    // never counted as passed: deno reports it ignored, and the line says why
    console.log(`n/a: ${name} (profile ${PROFILE.name} lacks ${missing.join(", ")})`);
  }
  Deno.test({
    name: missing.length > 0 ? `${name} [n/a on ${PROFILE.name}]` : name,
    ignore: (options.ignore ?? false) || missing.length > 0,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const bed = await sharedBed();
      let home: GnupgHome | undefined;
      let card: Vcard | undefined;
      try {
        home = await GnupgHome.create(bed, {
          daemon: DAEMON,
          readerPort: READER,
          ...(options.pcscShared === undefined ? {} : { pcscShared: options.pcscShared }),
          ...(options.scdTsEnv === undefined ? {} : { scdTsEnv: options.scdTsEnv }),
        });
        card = await startVcard({
          port: bed.vpcdPort(SLOT),
          statePath: `${home.path}/card-state.json`,
          serial,
          profile: PROFILE.name,
        });
        await waitForCard(bed, home, serial);
        const capture = CAPTURE_DIR === undefined
          ? undefined
          : new Capture(CAPTURE_DIR, { bed, home, card, test: name, serial });
        await fn(makeContext(bed, home, card, serial, { capture }), t);
      } catch (e) {
        if (home !== undefined && card !== undefined) await printDiagnostics(home, card);
        throw e;
      } finally {
        await home?.close();
        await card?.stop();
      }
    },
  });
}

let bed: Promise<GnupgBed> | undefined;

/**
 * One bed (pcscd, chroot mounts) and one vpcd slot per test module: its tests share them,
 * each with its own card and home; both are released synchronously when the module unloads
 * (deno test runs each module in its own worker). Starting and stopping pcscd per test would
 * also pull the machine's pcscd from under other users of it.
 */
function sharedBed(): Promise<GnupgBed> {
  bed ??= (async () => {
    const b = await Bed.open(GNUPG_VERSION);
    try {
      const lock = await acquireSlot({
        dir: HOMES_BASE,
        pcscd: b.pcscdName,
        slots: WANTED_SLOT === undefined ? [0, 1] : [WANTED_SLOT === "1" ? 1 : 0],
        // 2.4's scdaemon takes reader-port as an index and, for 0, opens every reader with a
        // card: another run's card in the other slot would be seen (and held exclusively)
        wholePcscd: b.series === "2.4",
        onWait: (holders) => console.error(`e2e: waiting for a vpcd slot (${holders})`),
      });
      SLOT = lock.slot;
      READER = `Virtual PCD 00 0${SLOT}`;
      globalThis.addEventListener("unload", () => {
        lock.releaseSync();
        b.closeSync();
      });
    } catch (e) {
      b.closeSync();
      throw e;
    }
    return b;
  })();
  return bed;
}

/** Waits until the daemon sees this test's card (pcscd notices a vpcd card within ~1 s). */
async function waitForCard(bed: GnupgBed, home: GnupgHome, serial: string): Promise<void> {
  const deadline = Date.now() + 10000;
  // stock 2.4 zeroes the version bytes of a YubiKey's SERIALNO: compare the serial only
  const ours = (line: string) => line.startsWith("S SERIALNO ") && line.slice(31, 39) === serial;
  while (true) {
    await new Promise((r) => setTimeout(r, 300));
    const r = await bed.run("gpg-connect-agent", ["SCD SERIALNO", "/bye"], { home: home.path });
    if (r.stdout.split("\n").some(ours)) return;
    if (Date.now() > deadline) {
      throw new Error(`Cannot see card ${serial} through the daemon: ${r.stdout}${r.stderr}`);
    }
  }
}

/**
 * The {@linkcode CardContext} of a home and its card (also the fault suite's private-pcscd
 * homes); `aid` defaults to the card's AID under SCD_E2E_PROFILE.
 */
export function makeContext(
  bed: GnupgBed,
  home: GnupgHome,
  card: Vcard,
  serial: string,
  options: { capture?: Capture | undefined; aid?: string } = {},
): CardContext {
  const capture = options.capture;
  return {
    bed,
    home,
    card,
    serial,
    aid: options.aid ?? aidOf(PROFILE, serial),
    capture,
    gpg: (args, options = {}) => bed.gpg(home.path, args, { ...options, timeoutMs: 120000 }),
    interact: (args, answers) => gpgInteract(bed, home.path, args, answers),
    async run(cmd, args, options = {}) {
      const r = await bed.run(cmd, args, { ...options, home: home.path, timeoutMs: 60000 });
      return { ...r, status: [] };
    },
    async cardStatus() {
      const r = await bed.gpg(home.path, ["--card-status"]);
      if (r.code !== 0) throw new Error(`Cannot read card status: ${r.stderr}`);
      return parseCardStatus(r.stdout);
    },
    async pins(answers) {
      await capture?.keepPrompts();
      await home.pinentry.script(answers);
      await home.pinentry.clearLog();
    },
    prompts: () => home.pinentry.prompts(),
    restartAgent: () => home.killDaemons(),
    async file(name, text) {
      const path = `${home.path}/${name}`;
      if (typeof text === "string") await Deno.writeTextFile(path, text);
      else await Deno.writeFile(path, text);
      return path;
    },
  };
}

async function printDiagnostics(home: GnupgHome, card: Vcard): Promise<void> {
  const tail = (s: string, n: number) => s.split("\n").slice(-n).join("\n");
  console.error(`--- diagnostics (home ${home.path})`);
  const prompts = await home.pinentry.prompts();
  console.error("--- pinentry dialogs since the last pins()");
  for (const p of prompts) {
    console.error(
      `${p.command} prompt=${JSON.stringify(p.prompt)} desc=${JSON.stringify(p.desc)}` +
        ` error=${JSON.stringify(p.error)} -> ${p.answered}${
          p.exhausted ? " (no answer left)" : ""
        }`,
    );
  }
  console.error("--- scdaemon log (tail)\n" + tail(await home.scdLog(), 80));
  console.error("--- vcard output (tail)\n" + tail(card.proc.output(), 30));
}
