/**
 * `pin-store keyring` (off by default): the ssh-agent's cached user PINs also kept in the
 * Linux kernel's user keyring through the `keyctl` program (keyutils), so a PIN survives an
 * agent restart until its timeout. The trade, written in docs/ssh-agent.md: the PIN is then
 * readable by every process that possesses the user keyring (normally all of the user's
 * processes in the login session), not only by the agent's memory.
 *
 * keyctl(1) facts used: `padd user DESC @u` reads the payload from stdin, adds or updates the
 * key and prints its id; `search @u user DESC` prints the id (exit 1: none); `pipe ID`
 * writes the raw payload; `timeout ID SECS` sets the expiry; `invalidate ID` removes it;
 * `rlist @u` lists ids; `rdescribe ID` prints `type;uid;gid;perm;description`.
 * @module
 */

import { getLog } from "../log.ts";
import { wipe } from "../util/bytes.ts";

const log = getLog("ssh");

/** Where PINs go besides the agent's memory. */
export interface PinStore {
  /** The stored user PIN of the card `serial` (hex AID), if any. */
  get(serial: string): Promise<Uint8Array | undefined>;
  /** Store (or replace) the PIN; its lifetime starts again. */
  put(serial: string, pin: Uint8Array): Promise<void>;
  /** The PIN was used: its lifetime starts again. */
  touch(serial: string): Promise<void>;
  drop(serial: string): Promise<void>;
  /** Drop every PIN this store kept (also those of an earlier agent). */
  clear(): Promise<void>;
}

/** Options of {@linkcode KeyringPinStore}. */
export interface KeyringOptions {
  /** Key lifetime in seconds (the PIN cache TTL); 0: no timeout set. */
  ttlSeconds: number;
  /** The keyctl program (default `keyctl` on PATH). */
  keyctl?: string;
  /** Description prefix of the keys (default `scd-ts:ssh-pin:`); tests use their own. */
  prefix?: string;
}

/** The user keyring through keyctl. Failures are logged; a store that fails stores nothing. */
export class KeyringPinStore implements PinStore {
  readonly #ttl: number;
  readonly #keyctl: string;
  readonly #prefix: string;

  constructor(options: KeyringOptions) {
    this.#ttl = Math.max(0, Math.ceil(options.ttlSeconds));
    this.#keyctl = options.keyctl ?? "keyctl";
    this.#prefix = options.prefix ?? "scd-ts:ssh-pin:";
  }

  /** Whether keyctl runs and the user keyring takes a key (checked once at start). */
  async usable(): Promise<boolean> {
    const probe = `${this.#prefix}probe`;
    const id = await this.#run(["padd", "user", probe, "@u"], new Uint8Array(1));
    if (id === undefined) return false;
    await this.#run(["invalidate", text(id)]);
    return true;
  }

  async get(serial: string): Promise<Uint8Array | undefined> {
    const id = await this.#find(serial);
    if (id === undefined) return undefined;
    const pin = await this.#run(["pipe", id]);
    return pin && pin.length > 0 ? pin : undefined;
  }

  async put(serial: string, pin: Uint8Array): Promise<void> {
    const out = await this.#run(["padd", "user", this.#prefix + serial, "@u"], pin);
    if (out !== undefined && this.#ttl > 0) {
      await this.#run(["timeout", text(out), String(this.#ttl)]);
    }
  }

  async touch(serial: string): Promise<void> {
    const id = await this.#find(serial);
    if (id !== undefined && this.#ttl > 0) await this.#run(["timeout", id, String(this.#ttl)]);
  }

  async drop(serial: string): Promise<void> {
    const id = await this.#find(serial);
    if (id !== undefined) await this.#run(["invalidate", id]);
  }

  async clear(): Promise<void> {
    const list = await this.#run(["rlist", "@u"]);
    for (const id of text(list ?? new Uint8Array()).split(/\s+/).filter((x) => x !== "")) {
      const description = text(await this.#run(["rdescribe", id]) ?? new Uint8Array());
      // type;uid;gid;perm;description — the description may itself hold ';'
      const fields = description.split(";");
      if (fields[0] === "user" && fields.slice(4).join(";").startsWith(this.#prefix)) {
        await this.#run(["invalidate", id]);
      }
    }
  }

  async #find(serial: string): Promise<string | undefined> {
    const out = await this.#run(["search", "@u", "user", this.#prefix + serial], undefined, true);
    return out === undefined ? undefined : text(out);
  }

  /** Run keyctl; stdout, or undefined on failure (logged unless `quiet`). */
  async #run(args: string[], stdin?: Uint8Array, quiet = false): Promise<Uint8Array | undefined> {
    try {
      const child = new Deno.Command(this.#keyctl, {
        args,
        stdin: stdin ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      if (stdin) {
        const w = child.stdin.getWriter();
        await w.write(stdin);
        await w.close();
      }
      const { code, stdout, stderr } = await child.output();
      if (code === 0) return stdout;
      wipe(stdout);
      if (!quiet) {
        log.warning("keyctl {command} failed: {error}", {
          command: args[0],
          error: new TextDecoder().decode(stderr).trim(),
        });
      }
    } catch (e) {
      log.warning("Cannot run keyctl: {error}", { error: (e as Error).message });
    }
    return undefined;
  }
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).trim();
}
