/**
 * The test pinentry (tests/bed/pinentry.sh): a test scripts its answers, gpg-agent runs the
 * per-home wrapper written by {@linkcode TestPinentry.install}, and the test reads back what
 * every prompt showed. A POSIX sh script, so it runs unchanged inside the trixie chroot.
 *
 * @module
 */

/** The pinentry script in the repository. */
export const PINENTRY_SCRIPT = new URL("./pinentry.sh", import.meta.url).pathname;

/**
 * One scripted answer: a PIN for GETPIN (only for prompts whose `prompt=<SETPROMPT>
 * desc=<SETDESC>` text, percent-escaped as sent, matches the extended regex `when`, if
 * given; or after `delaySeconds`, like a person typing), a cancel, or OK for a CONFIRM dialog. Each answer is used at most once; a prompt
 * takes the first unused answer that applies to it.
 */
export type PinentryAnswer =
  | { pin: string; when?: string }
  | { pin: string; delaySeconds: number }
  | "cancel"
  | "confirm";

/** One dialog the pinentry showed, with the texts gpg-agent set for it (percent-decoded). */
export interface PinentryPrompt {
  /** GETPIN, CONFIRM or MESSAGE. */
  command: string;
  desc: string | undefined;
  prompt: string | undefined;
  title: string | undefined;
  /** SETERROR text (e.g. after a bad PIN). */
  error: string | undefined;
  keyinfo: string | undefined;
  /** True when the agent asked for the entry to be repeated (new PINs). */
  repeat: boolean;
  /** What the pinentry answered: "pin", "cancel" or "ok". */
  answered: "pin" | "cancel" | "ok";
  /** True when the script had no answer left for this prompt. */
  exhausted: boolean;
}

/** Decodes Assuan percent escapes (`%0A`, `%25`, …) into text. */
export function decodeAssuan(text: string): string {
  const bytes: number[] = [];
  const raw = new TextEncoder().encode(text);
  const hex = (b: number | undefined) =>
    b !== undefined && /[0-9A-Fa-f]/.test(String.fromCharCode(b));
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x25 && hex(raw[i + 1]) && hex(raw[i + 2])) {
      bytes.push(parseInt(String.fromCharCode(raw[i + 1]!, raw[i + 2]!), 16));
      i += 2;
    } else {
      bytes.push(b);
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Parses the pinentry log into the dialogs it showed, in order. */
export function parsePinentryLog(log: string): PinentryPrompt[] {
  const prompts: PinentryPrompt[] = [];
  let texts = new Map<string, string>();
  let repeat = false;
  let pending: PinentryPrompt | undefined;
  for (const line of log.split("\n")) {
    if (line.startsWith("# start")) {
      texts = new Map();
      repeat = false;
      continue;
    }
    if (line === "# exhausted" && pending !== undefined) {
      pending.exhausted = true;
      continue;
    }
    if (line.startsWith("> ") && pending !== undefined) {
      if (line.startsWith("> D ")) pending.answered = "pin";
      else if (line === "> OK" && pending.answered !== "pin") pending.answered = "ok";
      if (line === "> OK" || line.startsWith("> ERR")) pending = undefined;
      continue;
    }
    if (!line.startsWith("< ")) continue;
    const cmdLine = line.slice(2);
    const space = cmdLine.indexOf(" ");
    const verb = space < 0 ? cmdLine : cmdLine.slice(0, space);
    const arg = space < 0 ? "" : cmdLine.slice(space + 1);
    if (verb === "SETREPEAT") repeat = true;
    else if (verb.startsWith("SET")) texts.set(verb, decodeAssuan(arg));
    else if (verb === "GETPIN" || verb === "CONFIRM" || verb === "MESSAGE") {
      pending = {
        command: verb,
        desc: texts.get("SETDESC"),
        prompt: texts.get("SETPROMPT"),
        title: texts.get("SETTITLE"),
        error: texts.get("SETERROR"),
        keyinfo: texts.get("SETKEYINFO"),
        repeat,
        answered: "cancel",
        exhausted: false,
      };
      prompts.push(pending);
      // gpg-agent sets the error per attempt; do not carry it into the next dialog
      texts.delete("SETERROR");
    }
  }
  return prompts;
}

/** Writes and reads the answer script and log of one GNUPGHOME's test pinentry. */
export class TestPinentry {
  /** The executable gpg-agent runs (`pinentry-program`). */
  readonly program: string;
  readonly #answers: string;
  readonly #log: string;

  /** Pinentry files live in `dir` (the throwaway GNUPGHOME). */
  constructor(dir: string) {
    this.program = `${dir}/pinentry`;
    this.#answers = `${dir}/pinentry.answers`;
    this.#log = `${dir}/pinentry.log`;
  }

  /** Writes the wrapper gpg-agent runs; it ignores the agent's arguments. */
  async install(): Promise<void> {
    const wrapper =
      `#!/bin/sh\nexec /bin/sh '${PINENTRY_SCRIPT}' '${this.#answers}' '${this.#log}'\n`;
    await Deno.writeTextFile(this.program, wrapper, { mode: 0o755 });
    await this.script([]);
  }

  /** Replaces the answers still to be given (earlier answers are forgotten). */
  async script(answers: PinentryAnswer[]): Promise<void> {
    const lines = answers.map((a) => {
      if (a === "cancel") return "CANCEL";
      if (a === "confirm") return "CONFIRM";
      if ("delaySeconds" in a) return `SLOWPIN ${a.delaySeconds} ${a.pin}`; // a person typing
      if (a.when === undefined) return `PIN ${a.pin}`;
      if (a.when.includes("/ ") || a.pin.includes("/ ")) {
        throw new RangeError(`Cannot script pinentry answer: "/ " in "${a.when}" or the PIN`);
      }
      return `PIN /${a.when}/ ${a.pin}`;
    });
    await Deno.writeTextFile(this.#answers, lines.map((l) => l + "\n").join(""));
    await Deno.remove(`${this.#answers}.used`).catch(() => {});
  }

  /** How many scripted answers were consumed since the last {@linkcode script}. */
  async consumed(): Promise<number> {
    const text = await Deno.readTextFile(`${this.#answers}.used`).catch(() => "");
    return text.split("\n").filter((l) => l.trim() !== "").length;
  }

  /** Every dialog shown so far (since {@linkcode clearLog}). */
  async prompts(): Promise<PinentryPrompt[]> {
    return parsePinentryLog(await this.log());
  }

  /** The raw log. */
  async log(): Promise<string> {
    return await Deno.readTextFile(this.#log).catch(() => "");
  }

  /** Forgets the dialogs shown so far. */
  async clearLog(): Promise<void> {
    await Deno.writeTextFile(this.#log, "");
  }
}
