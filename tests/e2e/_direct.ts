/**
 * A smartcard daemon started straight from a test, `<daemon> --server` on a pipe with no
 * gpg-agent between (how scripts and `gpg-connect-agent 'SCD …'` users reach it through the
 * agent's pass-through, minus the agent): stock scdaemon or scd-ts in the bed's gnupg (the
 * chroot for 2.4), in the home the test's card fixture made. The exchange is kept as lines in
 * scd-ts's trace form (`<- X`, `-> Y`) for the conformance diff (tests/conformance/).
 *
 * @module
 */
import type { GnupgHome } from "../bed/gnupghome.ts";
import { STOCK_SCDAEMON } from "../bed/gnupg.ts";

/** One command's reply: every line up to and including OK or ERR. */
export type DirectReply = string[];

/** A `--server` daemon on a pipe. */
export class DirectDaemon {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer = new Uint8Array(0);
  /** Every line both ways, `<- ` from the client, `-> ` from the daemon (binary strings). */
  readonly transcript: string[] = [];
  /**
   * The PINs this client gives to INQUIRE NEEDPIN: the Admin PIN for `|A|` prompts, `fresh`
   * for a new PIN or Reset Code (`|N|`, `|AN|`, `|RN|`: too short for any, by default).
   */
  pins = { user: "123456", admin: "12345678", fresh: "123" };
  /** How many NEEDPIN inquiries the daemon made. */
  pinInquiries = 0;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reader = child.stdout.getReader();
  }

  /** Starts the home's daemon with `--server` and reads its greeting. */
  static async start(home: GnupgHome): Promise<DirectDaemon> {
    const program = home.daemon === "stock" ? STOCK_SCDAEMON : `${home.path}/scd-ts`;
    const [cmd, args] = home.bed.command(program, ["--server"], { home: home.path });
    const child = new Deno.Command(cmd, {
      args,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const d = new DirectDaemon(child);
    const hello = await d.#line();
    if (hello === undefined || !hello.startsWith("OK ")) {
      await d.close();
      throw new Error(`Cannot start ${program} --server: greeting ${hello}`);
    }
    return d;
  }

  /**
   * Sends `line` and returns the reply. INQUIRE NEEDPIN is answered with one of {@linkcode pins} (as
   * gpg-agent does: the PIN NUL-padded to 90 bytes, END), any other inquiry with END; the inquiry lines
   * stay in the reply.
   */
  async transact(line: string): Promise<DirectReply> {
    await this.#send(line);
    const reply: string[] = [];
    for (;;) {
      const got = await this.#line();
      if (got === undefined) throw new Error(`Daemon ended during ${line}`);
      reply.push(got);
      if (/^INQUIRE NEEDPIN /.test(got)) {
        this.pinInquiries++;
        const flags = /^INQUIRE NEEDPIN \|([A-Z]*)\|/.exec(got)?.[1] ?? "";
        const pin = flags.includes("N")
          ? this.pins.fresh
          : flags === "A"
          ? this.pins.admin
          : this.pins.user;
        await this.#send(`D ${pin}${"%00".repeat(90 - pin.length)}`, "[redacted]");
        await this.#send("END");
      } else if (got.startsWith("INQUIRE ")) {
        await this.#send("END");
      } else if (/^(OK|ERR)( |$)/.test(got)) {
        return reply;
      }
    }
  }

  /** Ends the session (BYE) and waits for the process to exit. */
  async close(): Promise<void> {
    try {
      await this.#send("BYE");
      await this.#writer.close();
    } catch {
      // already gone
    }
    const timer = setTimeout(() => this.#child.kill("SIGTERM"), 5000);
    await this.#child.status;
    clearTimeout(timer);
    await this.#reader.cancel().catch(() => {});
  }

  async #send(line: string, logged = line): Promise<void> {
    this.transcript.push(`<- ${logged}`);
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  /** The next line from the daemon as a binary string (one char per byte). */
  async #line(): Promise<string | undefined> {
    for (;;) {
      const nl = this.#buffer.indexOf(0x0a);
      if (nl >= 0) {
        let text = "";
        for (const b of this.#buffer.subarray(0, nl)) text += String.fromCharCode(b);
        this.#buffer = this.#buffer.slice(nl + 1);
        this.transcript.push(`-> ${text}`);
        return text;
      }
      const { value, done } = await this.#reader.read();
      if (done) return undefined;
      const joined = new Uint8Array(this.#buffer.length + value.length);
      joined.set(this.#buffer);
      joined.set(value, this.#buffer.length);
      this.#buffer = joined;
    }
  }
}
