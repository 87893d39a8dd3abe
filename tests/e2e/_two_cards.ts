/**
 * Setup for the multi-card workflows (issue 11): two virtual cards with different serials in
 * both vpcd readers, one throwaway GNUPGHOME whose daemon sees every reader (no
 * `reader-port`; scd-ts without `reader`). The module holds **both** slot locks of its pcscd
 * (for 2.4 the whole chroot pcscd), so no other e2e run puts a card into either reader
 * meanwhile; they are released when the module unloads.
 *
 * @module
 */
import { type GnupgBed, type GpgResult, HOMES_BASE } from "../bed/gnupg.ts";
import { GnupgBed as Bed } from "../bed/gnupg.ts";
import { GnupgHome } from "../bed/gnupghome.ts";
import { gpgInteract, type InteractResult, type PromptAnswers } from "../bed/gpg_interact.ts";
import type { PinentryAnswer } from "../bed/pinentry.ts";
import { acquireSlot, type SlotLock } from "../bed/slot_lock.ts";
import { startVcard, type Vcard } from "../bed/vcard.ts";
import { DAEMON, GNUPG, GNUPG_VERSION } from "./_fixture.ts";

export { DAEMON, GNUPG };

/** What a two-card test gets. */
export interface TwoCards {
  bed: GnupgBed;
  home: GnupgHome;
  /** Card A in reader 0 and card B in reader 1. */
  cards: [Vcard, Vcard];
  /** Their 8-hex-digit serials. */
  serials: [string, string];
  /** Their full OpenPGP AIDs as `S SERIALNO` prints them. */
  aids: [string, string];
  gpg(args: string[], options?: { stdin?: string | Uint8Array }): Promise<GpgResult>;
  interact(args: string[], answers: PromptAnswers): Promise<InteractResult>;
  run(cmd: string, args: string[], options?: { stdin?: string }): Promise<GpgResult>;
  /** Writes a file into the home and returns its path. */
  file(name: string, text: string): Promise<string>;
  /** The serials `GETINFO card_list` reports after a `SERIALNO --all` scan. */
  cardList(): Promise<string[]>;
  /** Inserts or removes card `slot` (control port) and waits until the daemon sees it. */
  plug(slot: 0 | 1, present: boolean): Promise<void>;
  /** `gpg-connect-agent` with each command as one argument, then `/bye`; stdout lines. */
  agent(...commands: string[]): Promise<string[]>;
  pins(answers: PinentryAnswer[]): Promise<void>;
  restartAgent(): Promise<void>;
}

/** The AID stock prints for a virtual card of `serial` (version 3.4, manufacturer FFFE). */
export function aidOf(serial: string): string {
  return `D276000124010304FFFE${serial}0000`;
}

let bedPromise: Promise<GnupgBed> | undefined;

/** One bed and both slots per module (see the module doc). */
function sharedBed(): Promise<GnupgBed> {
  bedPromise ??= (async () => {
    const b = await Bed.open(GNUPG_VERSION);
    const locks: SlotLock[] = [];
    const release = () => {
      for (const lock of locks) lock.releaseSync();
      b.closeSync();
    };
    try {
      const pcscd = b.pcscdName;
      const onWait = (holders: string) =>
        console.error(`e2e: waiting for the vpcd slots (${holders})`);
      if (b.series === "2.4") {
        locks.push(
          await acquireSlot({ dir: HOMES_BASE, pcscd, slots: [0], wholePcscd: true, onWait }),
        );
      } else {
        // always slot 0 first: two runs taking both slots cannot deadlock
        locks.push(await acquireSlot({ dir: HOMES_BASE, pcscd, slots: [0], onWait }));
        locks.push(await acquireSlot({ dir: HOMES_BASE, pcscd, slots: [1], onWait }));
      }
      globalThis.addEventListener("unload", release);
    } catch (e) {
      release();
      throw e;
    }
    return b;
  })();
  return bedPromise;
}

/**
 * The configuration that lets the daemon see both readers: stock without `reader-port`
 * (2.4 then opens every reader with a card), scd-ts without `reader`.
 */
async function seeAllReaders(home: GnupgHome): Promise<void> {
  const drop = async (name: string, key: RegExp) => {
    const path = `${home.path}/${name}`;
    const text = await Deno.readTextFile(path).catch(() => undefined);
    if (text === undefined) return;
    await Deno.writeTextFile(path, text.split("\n").filter((l) => !key.test(l)).join("\n"));
  };
  await drop("scdaemon.conf", /^reader-port /);
  await drop("scd-ts.conf", /^reader /);
}

let serialBase = 0x6c000000;

/** Options for {@linkcode twoCardTest}. */
export interface TwoCardOptions {
  ignore?: boolean;
}

/** Registers a Deno test running `fn` with two fresh cards and a fresh GNUPGHOME. */
export function twoCardTest(
  name: string,
  fn: (t: TwoCards) => Promise<void>,
  options: TwoCardOptions = {},
): void {
  serialBase += 0x10;
  const serials: [string, string] = [
    serialBase.toString(16).toUpperCase(),
    (serialBase + 1).toString(16).toUpperCase(),
  ];
  Deno.test({
    name,
    ignore: options.ignore ?? false,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const bed = await sharedBed();
      const home = await GnupgHome.create(bed, { daemon: DAEMON, readerPort: "Virtual PCD 00 00" });
      const started: Vcard[] = [];
      try {
        await seeAllReaders(home);
        for (const slot of [0, 1] as const) {
          started.push(
            await startVcard({
              port: bed.vpcdPort(slot),
              statePath: `${home.path}/card-${slot}.json`,
              serial: serials[slot],
            }),
          );
        }
        const t = context(bed, home, [started[0]!, started[1]!], serials);
        await waitForCards(t);
        await fn(t);
      } catch (e) {
        console.error(
          `--- daemon log (tail)\n${(await home.scdLog()).split("\n").slice(-60).join("\n")}`,
        );
        throw e;
      } finally {
        await home.close();
        for (const card of started) await card.stop();
      }
    },
  });
}

function context(bed: GnupgBed, home: GnupgHome, cards: [Vcard, Vcard], serials: [string, string]) {
  const t: TwoCards = {
    bed,
    home,
    cards,
    serials,
    aids: [aidOf(serials[0]), aidOf(serials[1])],
    gpg: (args, options = {}) => bed.gpg(home.path, args, { ...options, timeoutMs: 120000 }),
    interact: (args, answers) => gpgInteract(bed, home.path, args, answers),
    async run(cmd, args, options = {}) {
      const r = await bed.run(cmd, args, { ...options, home: home.path, timeoutMs: 60000 });
      return { ...r, status: [] };
    },
    async file(name, text) {
      const path = `${home.path}/${name}`;
      await Deno.writeTextFile(path, text);
      return path;
    },
    async cardList() {
      const lines = await t.agent("SCD SERIALNO --all", "SCD GETINFO card_list");
      const i = lines.findIndex((l) => l === "OK" || l.startsWith("ERR"));
      return lines.slice(i + 1).filter((l) => l.startsWith("S SERIALNO ")).map((l) => l.slice(11));
    },
    async plug(slot, present) {
      await cards[slot].control({ cmd: present ? "insert" : "remove" });
      const deadline = Date.now() + 20000;
      for (;;) {
        const list = await t.cardList();
        if (list.includes(t.aids[slot]) === present) return;
        if (Date.now() > deadline) {
          throw new Error(`Card ${slot} still ${present ? "absent" : "present"}: ${list}`);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async agent(...commands) {
      const r = await t.run("gpg-connect-agent", [...commands, "/bye"]);
      return r.stdout.split("\n").filter((l) => l !== "");
    },
    async pins(answers) {
      await home.pinentry.script(answers);
      await home.pinentry.clearLog();
    },
    restartAgent: () => home.killDaemons(),
  };
  return t;
}

/** Waits until the daemon lists both cards (pcscd notices a vpcd card within about a second). */
async function waitForCards(t: TwoCards): Promise<void> {
  const deadline = Date.now() + 20000;
  while (true) {
    await new Promise((r) => setTimeout(r, 300));
    // stock 2.2 sees only the first reader: card A is enough there
    const lines = GNUPG === "2.2"
      ? await t.agent(`SCD SERIALNO --demand=${t.aids[0]}`)
      : await t.agent("SCD SERIALNO --all", "SCD GETINFO card_list");
    const want = GNUPG === "2.2" ? t.aids.slice(0, 1) : t.aids;
    if (want.every((aid) => lines.includes(`S SERIALNO ${aid}`))) {
      // which card a scan found last depends on which one pcscd noticed first; both daemons
      // move a demanded card to the front of their list, so B (the last reader's) is current,
      // as after one scan that found both
      if (GNUPG !== "2.2") await t.agent(`SCD SERIALNO --demand=${t.aids[1]}`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`Cannot see both cards: ${lines.join("\n")}`);
  }
}

/** A raw Assuan connection to the daemon's own socket (`GETINFO socket_name`). */
export interface RawSession {
  send(line: string): Promise<void>;
  /** Every line received so far. */
  lines(): string[];
  /** Waits (up to 20 s) until `count` lines matching `pattern` have arrived. */
  waitFor(pattern: RegExp, count?: number): Promise<void>;
  close(): void;
}

/** Connects to the smartcard daemon's socket directly (DEVINFO --watch refuses the pipe). */
export async function scdSocket(t: TwoCards): Promise<RawSession> {
  const reply = await t.agent("SCD GETINFO socket_name");
  const d = reply.find((l) => l.startsWith("D "));
  if (!d) throw new Error(`Cannot get the daemon's socket name: ${reply.join("\n")}`);
  const path = (t.bed.chroot ?? "") + d.slice(2).replaceAll("%2F", "/");
  const conn = await Deno.connect({ transport: "unix", path });
  let text = "";
  const reader = (async () => {
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  })();
  const lines = () => text.split("\n").filter((l) => l !== "");
  return {
    send: async (line) => void await conn.write(new TextEncoder().encode(line + "\n")),
    lines,
    async waitFor(pattern, count = 1) {
      const deadline = Date.now() + 20000;
      while (lines().filter((l) => pattern.test(l)).length < count) {
        if (Date.now() > deadline) {
          throw new Error(`Cannot see ${count}× ${pattern} from the daemon:\n${text}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => {
      conn.close();
      void reader;
    },
  };
}
