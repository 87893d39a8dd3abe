/**
 * Conformance capture (docs/conformance.md): when SCD_E2E_CAPTURE_DIR is set, each named
 * workflow step of an e2e test ({@linkcode Capture.record}, used by `workflow()` in
 * _workflows.ts) writes what the smartcard daemon said on the Assuan wire, the virtual card's
 * APDU counters and the pinentry dialogs to
 * `<dir>/<gnupg>/<daemon>/<workflow>.json`. `deno task conformance` diffs stock against scd-ts
 * from these files, so the e2e runs CI does anyway are the only runs.
 *
 * The step is framed by two `SCD GETINFO version` round trips: once the first returns, the
 * daemon has answered everything before it, so the file offsets taken then (stock's
 * `log-file`, scd-ts's trace tee) start the step cleanly; the second marks its end.
 *
 * @module
 */
import type { GnupgBed } from "../bed/gnupg.ts";
import type { GnupgHome } from "../bed/gnupghome.ts";
import type { PinentryPrompt } from "../bed/pinentry.ts";
import type { Vcard } from "../bed/vcard.ts";
import type { InsTraffic } from "../../src/virtual/apdu_log.ts";
import type { CapturedWorkflow } from "../conformance/capture_format.ts";

/** Where captures go (unset: no capture). */
export const CAPTURE_DIR = Deno.env.get("SCD_E2E_CAPTURE_DIR");

/** Stock's log lines that carry Assuan traffic (libassuan's `debug ipc` records). */
const STOCK_ASSUAN = /DBG: chan_\d+ (<-|->) /;

/** Captures the workflow steps of one card test. */
export class Capture {
  readonly #dir: string;
  readonly #bed: GnupgBed;
  readonly #home: GnupgHome;
  readonly #card: Vcard;
  readonly #test: string;
  readonly #serial: string;
  /** Dialogs of the running step so far (kept before each `pins()` clears the log). */
  #prompts: PinentryPrompt[] | undefined;
  /** Dialogs in the pinentry log from before the step (not cleared: the test may read them). */
  #skip = 0;

  constructor(
    dir: string,
    ctx: { bed: GnupgBed; home: GnupgHome; card: Vcard; test: string; serial: string },
  ) {
    this.#dir = dir;
    this.#bed = ctx.bed;
    this.#home = ctx.home;
    this.#card = ctx.card;
    this.#test = ctx.test;
    this.#serial = ctx.serial;
  }

  /** Called before the pinentry log is cleared: keeps the running step's dialogs. */
  async keepPrompts(): Promise<void> {
    if (this.#prompts === undefined) return;
    this.#prompts.push(...(await this.#home.pinentry.prompts()).slice(this.#skip));
    this.#skip = 0;
  }

  /** Runs `fn` as the workflow step `name` and writes its capture. */
  async record<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.#prompts !== undefined) throw new Error(`Cannot nest workflow ${name}`);
    await this.#sync();
    const offset = await this.#traceSize();
    await this.#card.control({ cmd: "log-reset" });
    this.#skip = (await this.#home.pinentry.prompts()).length;
    this.#prompts = [];
    try {
      const result = await fn();
      await this.#sync();
      await this.#settle();
      await this.#write(name, await this.#traceFrom(offset));
      return result;
    } finally {
      this.#prompts = undefined;
    }
  }

  async #write(name: string, assuan: string[]): Promise<void> {
    await this.keepPrompts();
    const log = await this.#card.control({ cmd: "log" });
    const capture: CapturedWorkflow = {
      workflow: name,
      test: this.#test,
      gnupg: this.#bed.version,
      daemon: this.#home.daemon,
      serial: this.#serial,
      assuan,
      apdus: { total: Number(log.total), byIns: log.byIns as Record<string, InsTraffic> },
      prompts: this.#prompts ?? [],
    };
    const dir = `${this.#dir}/${this.#bed.version}/${this.#home.daemon}`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(capture, null, 1) + "\n");
  }

  /** One Assuan round trip through gpg-agent to the daemon (starts them when down). */
  async #sync(): Promise<void> {
    const r = await this.#bed.run("gpg-connect-agent", ["SCD GETINFO version", "/bye"], {
      home: this.#home.path,
      timeoutMs: 60000,
    });
    if (!r.stdout.includes("OK")) {
      throw new Error(`Cannot reach the daemon: ${r.stdout}${r.stderr}`);
    }
  }

  /** Waits (at most 3 s) until the trace stopped growing for 300 ms: late BYEs of the step. */
  async #settle(): Promise<void> {
    let size = await this.#traceSize();
    for (let quiet = 0, waited = 0; quiet < 300 && waited < 3000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await this.#traceSize();
      quiet = now === size ? quiet + 100 : 0;
      size = now;
    }
  }

  #tracePath(): string {
    return `${this.#home.path}/${this.#home.daemon === "stock" ? "scdaemon.log" : "scd-ts.trace"}`;
  }

  async #traceSize(): Promise<number> {
    return await Deno.stat(this.#tracePath()).then((s) => s.size).catch(() => 0);
  }

  /** The Assuan lines written since `offset`, without the closing sync's exchange. */
  async #traceFrom(offset: number): Promise<string[]> {
    const bytes = await Deno.readFile(this.#tracePath()).catch(() => new Uint8Array());
    // one char per byte: binary D lines keep their length and bytes for the normalizer
    let text = "";
    for (const b of bytes.subarray(offset)) text += String.fromCharCode(b);
    let lines = text.split("\n").filter((l) => l !== "");
    if (this.#home.daemon === "stock") lines = lines.filter((l) => STOCK_ASSUAN.test(l));
    const last = lines.findLastIndex((l) => / <- GETINFO version$/.test(l));
    if (last < 0) return lines;
    // drop the closing sync's own exchange, but keep what other sessions wrote after it: a
    // session of the step may end (BYE, OK) a moment after the sync was answered
    const sync = sessionOf(lines[last]!);
    return [...lines.slice(0, last), ...lines.slice(last + 1).filter((l) => sessionOf(l) !== sync)];
  }
}

/** The session a trace line belongs to: scd-ts's `N <-`, stock's `chan_N <-`. */
function sessionOf(line: string): string | undefined {
  return /^(\d+) (?:<-|->) /.exec(line)?.[1] ?? /chan_(\d+) (?:<-|->) /.exec(line)?.[1];
}
