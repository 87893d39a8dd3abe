/**
 * The configured modules and their tokens: each module is loaded and initialised once per
 * process (C_Initialize must not run twice), its initialised tokens are listed afresh on every
 * call. A module that cannot be loaded or listed is a problem of its own, named in the
 * message; the other modules and the PC/SC cards go on.
 * @module
 */

import { CKF_TOKEN, Pkcs11Module } from "../../ffi/mod.ts";
import { Token } from "./token.ts";

/** The tokens found, and one message per module that failed. */
export interface TokenScan {
  tokens: Token[];
  problems: string[];
}

/** The modules of a process, loaded on first use. */
export class TokenSource {
  readonly paths: readonly string[];
  #loaded = new Map<string, Promise<Pkcs11Module>>();

  constructor(paths: readonly string[]) {
    this.paths = paths;
  }

  #module(path: string): Promise<Pkcs11Module> {
    let module = this.#loaded.get(path);
    if (!module) {
      module = Pkcs11Module.load(path);
      // a failed load is tried again next time (the file may be installed meanwhile)
      module.catch(() => this.#loaded.delete(path));
      this.#loaded.set(path, module);
    }
    return module;
  }

  /** Every initialised token of every module, in configuration and slot order. */
  async scan(): Promise<TokenScan> {
    const tokens: Token[] = [];
    const problems: string[] = [];
    for (const path of this.paths) {
      try {
        const module = await this.#module(path);
        for (const slot of await module.slots()) {
          const info = await module.tokenInfo(slot);
          if (info.flags & CKF_TOKEN.CKF_TOKEN_INITIALIZED) {
            tokens.push(new Token(module, slot, info));
          }
        }
      } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
      }
    }
    return { tokens, problems };
  }

  /** C_Finalize every loaded module. */
  async close(): Promise<void> {
    const loaded = [...this.#loaded.values()];
    this.#loaded.clear();
    for (const module of loaded) {
      await (await module.catch(() => undefined))?.close().catch(() => {});
    }
  }
}
