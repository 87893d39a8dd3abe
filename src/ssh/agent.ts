/**
 * The ssh-agent's request handlers over the daemon's own pieces, injected by the mode entry
 * (main.ts): the card registry (its cards, driven by reader states), the PIN cache with its
 * rules (docs/pin-policy.md) and the card applications, whose INTERNAL AUTHENTICATE is what
 * PKAUTH uses. Every signature is one application call, so one card transaction under the
 * configured PIN policy; a PIN is asked for (pinentry) between transactions.
 *
 * Keys: the authentication key of every card the registry has — the key its application names
 * as `$AUTHKEYID` (OPENPGP.3 on an OpenPGP card, the first key that can authenticate on a
 * PKCS#11 token), as gpg-agent 2.2 asks for it — comment `cardno:<$DISPSERIALNO>` as gpg-agent
 * prints it (gpg/gnupg:agent/command-ssh.c `card_key_available`). Software keys are refused.
 * @module
 */

import {
  type CardApplication,
  NULL_STATUS,
  type OperationContext,
  type PinProvider,
} from "../app/mod.ts";
import { parsePublicKey, type SshPublicKey, sshPublicKey, sshSignature } from "../formats/mod.ts";
import { getLog } from "../log.ts";
import { equalBytes, wipe } from "../util/bytes.ts";
import {
  type AgentRequest,
  FAILURE,
  identitiesAnswer,
  parseRequest,
  signResponse,
  SUCCESS,
} from "./protocol.ts";
import { PassphraseLock } from "./lock.ts";
import { SessionBinds } from "./session_bind.ts";
import { signInput } from "./sign_input.ts";
import { announcePinPad, announceTouch } from "./touch.ts";
import type { SshAgentOptions, SshCard, SshCardSource, SshPinCache } from "./ports.ts";

export type { SshAgentOptions, SshCard, SshCardSource, SshPinCache } from "./ports.ts";

const log = getLog("ssh");

/** One listed key. */
interface Identity {
  card: SshCard;
  app: CardApplication;
  /** The application's reference of the key (`$AUTHKEYID`). */
  keyRef: string;
  key: SshPublicKey;
  comment: string;
}

/** Per-connection state: the session bindings ssh made on it (session_bind.ts). */
export class AgentConnection {
  readonly binds = new SessionBinds();
  #agent: SshAgent;

  constructor(agent: SshAgent) {
    this.#agent = agent;
  }

  /** One request body in, one reply body out; never throws. */
  async handle(body: Uint8Array): Promise<Uint8Array> {
    let request: AgentRequest;
    try {
      request = parseRequest(body);
    } catch (e) {
      log.info("Malformed agent request ({bytes} bytes): {error}", {
        bytes: body.length,
        error: (e as Error).message,
      });
      return FAILURE;
    }
    try {
      return await this.#agent.dispatch(request, this);
    } catch (e) {
      log.warning("Agent request {type} failed: {error}", {
        type: request.type,
        error: (e as Error).message,
      });
      return FAILURE;
    } finally {
      if (request.type === "add-smartcard") wipe(request.pin);
      if (request.type === "lock" || request.type === "unlock") wipe(request.passphrase);
    }
  }
}

/** The agent: shared by every connection of the socket. */
export class SshAgent {
  #cards: SshCardSource;
  #pins: SshPinCache;
  #ask: PinProvider | undefined;
  #notifySend: string | undefined;
  #refuseForwarded: boolean;
  #lock = new PassphraseLock();
  #lifetimes = new Map<number, ReturnType<typeof setTimeout>>();

  constructor(options: SshAgentOptions) {
    this.#cards = options.cards;
    this.#pins = options.pins;
    this.#ask = options.ask;
    this.#notifySend = options.notifySend;
    this.#refuseForwarded = options.refuseForwarded ?? false;
  }

  /** True while locked with a passphrase (LOCK). */
  get locked(): boolean {
    return this.#lock.locked;
  }

  /** A new connection's state. */
  connection(): AgentConnection {
    return new AgentConnection(this);
  }

  /** Handle one parsed request (throws on failure; the connection answers FAILURE). */
  async dispatch(request: AgentRequest, conn: AgentConnection): Promise<Uint8Array> {
    try {
      return await this.#dispatch(request, conn);
    } finally {
      // a persistent PIN store (pin_store.ts) holds, or no longer holds, what the card just
      // accepted or rejected before the client gets its answer
      await this.#pins.settled?.();
    }
  }

  async #dispatch(request: AgentRequest, conn: AgentConnection): Promise<Uint8Array> {
    switch (request.type) {
      case "identities": {
        // a locked agent lists nothing (OpenSSH's ssh-agent does the same)
        const ids = this.locked ? [] : await this.identities();
        return identitiesAnswer(ids.map((i) => ({ blob: i.key.blob, comment: i.comment })));
      }
      case "sign":
        if (this.#refuseForwarded && conn.binds.forwarded) {
          log.info(
            "Refused to sign: the request comes through a forwarded agent " +
              "connection, or its session-bind failed (--refuse-forwarded)",
          );
          return FAILURE;
        }
        return await this.#sign(request);
      case "add-smartcard":
        await this.#addCard(request);
        return SUCCESS;
      case "remove-smartcard": {
        const card = await this.#findCard(request.id);
        await this.#forget(card);
        log.info("PIN of card {serial} forgotten (ssh-add -e)", { serial: card.serialNo });
        return SUCCESS;
      }
      case "remove-all":
        for (const timer of this.#lifetimes.values()) clearTimeout(timer);
        this.#lifetimes.clear();
        this.#pins.clear();
        await Promise.all(this.#cards.cards.map(endHold));
        log.info("All cached PINs forgotten (ssh-add -D)");
        return SUCCESS;
      case "lock": {
        if (!await this.#lock.lock(request.passphrase)) return FAILURE;
        await Promise.all(this.#cards.cards.map(endHold)); // locked means no signature now
        return SUCCESS;
      }
      case "unlock":
        return await this.#lock.unlock(request.passphrase) ? SUCCESS : FAILURE;
      case "session-bind": {
        const refused = conn.binds.bind(request);
        if (refused) {
          log.info("session-bind refused: {reason}", { reason: refused });
          return FAILURE;
        }
        log.debug("session-bind recorded (forwarding {forwarding})", {
          forwarding: request.forwarding,
        });
        return SUCCESS;
      }
      case "extension":
        // draft-miller-ssh-agent §4.7: an extension the agent does not know gets FAILURE
        log.debug("Unsupported extension {name}", { name: request.name });
        return FAILURE;
      case "refused":
        log.info("Refused: {what} (this agent serves card keys only)", { what: request.what });
        return FAILURE;
      case "unknown":
        log.info("Unknown agent message {number}", { number: request.number });
        return FAILURE;
    }
  }

  /** The authentication key of every card present. */
  async identities(): Promise<Identity[]> {
    try {
      await this.#cards.scan();
    } catch (e) {
      log.info("Cannot scan readers: {error}", { error: (e as Error).message });
    }
    const out: Identity[] = [];
    for (const card of this.#cards.cards) {
      const app = card.app;
      if (!app) continue;
      try {
        const keyRef = await this.#authKeyRef(app);
        if (!keyRef) continue;
        const sexp = await app.readKey({ keyRef }, this.#queryContext());
        const key = sshPublicKey(parsePublicKey(sexp));
        out.push({ card, app, keyRef, key, comment: `cardno:${app.displaySerialNo}` });
      } catch (e) {
        log.debug("No ssh key on card {serial}: {error}", {
          serial: card.serialNo,
          error: (e as Error).message,
        });
      }
    }
    return out;
  }

  async #sign(request: Extract<AgentRequest, { type: "sign" }>): Promise<Uint8Array> {
    if (this.locked) throw new Error("Cannot sign: the agent is locked");
    const id = (await this.identities()).find((i) => equalBytes(i.key.blob, request.keyBlob));
    if (!id) throw new Error("Cannot sign: no card holds this key");
    const { algorithm, data, raw } = signInput(id.key.key, request.data, request.flags);
    using pin = this.#pins.provider(id.card, this.#asker());
    const serial = id.app.displaySerialNo;
    const notify = this.#notifySend;
    const answer = await id.app.auth(
      { keyRef: id.keyRef, data, raw },
      // the application says when the card holds the command for a touch (its card model
      // knows the key's UIF, also when another program changed it)
      {
        pin,
        status: NULL_STATUS,
        touchPending: () => announceTouch(serial, notify),
        // nothing to dismiss: the notification goes away by itself
        pinPadPrompt: () => {
          announcePinPad(serial, notify);
          return Promise.resolve(async () => {});
        },
      },
    );
    log.info("Signed with card {serial} ({algorithm})", {
      serial: id.app.displaySerialNo,
      algorithm,
    });
    return signResponse(sshSignature(id.key.key, algorithm, answer));
  }

  /** ssh-add -s: verify the PIN once (a rejected one is not cached, never sent again). */
  async #addCard(request: Extract<AgentRequest, { type: "add-smartcard" }>): Promise<void> {
    if (this.locked) throw new Error("Cannot add a card: the agent is locked");
    // ssh-add -c asks for a confirmation dialog per use; without one, refuse rather than
    // sign unconfirmed
    if (request.confirm) throw new Error("Cannot confirm each use (ssh-add -c): not supported");
    const card = await this.#findCard(request.id);
    const app = card.app!;
    let given: Uint8Array | undefined = request.pin.slice();
    const once: PinProvider = {
      get() {
        if (!given) throw new Error("Cannot ask again: ssh-add gave one PIN");
        const pin = given;
        given = undefined;
        return Promise.resolve(pin);
      },
    };
    try {
      using pin = this.#pins.provider(card, once, { fresh: true });
      await app.checkPin({ idStr: app.serialNo }, { pin, status: NULL_STATUS });
    } finally {
      wipe(given);
    }
    const old = this.#lifetimes.get(card.id);
    if (old !== undefined) clearTimeout(old);
    if (request.lifetimeSeconds !== undefined) {
      const timer = setTimeout(() => void this.#forget(card), request.lifetimeSeconds * 1000);
      Deno.unrefTimer(timer);
      this.#lifetimes.set(card.id, timer);
    }
    log.info("PIN of card {serial} verified and cached (ssh-add -s)", {
      serial: app.displaySerialNo,
    });
  }

  async #forget(card: SshCard): Promise<void> {
    const timer = this.#lifetimes.get(card.id);
    if (timer !== undefined) clearTimeout(timer);
    this.#lifetimes.delete(card.id);
    this.#pins.drop(card);
    await endHold(card);
  }

  /**
   * The card `id` names: its reader name, its serial (the AID, the 8-digit serial, the
   * display form, with or without `cardno:`); an empty id with one card present is that card.
   */
  async #findCard(id: string): Promise<SshCard> {
    await this.#cards.scan().catch(() => {});
    const want = id.trim().replace(/^cardno:/i, "").replace(/\s+/g, "").toUpperCase();
    const cards = this.#cards.cards.filter((c) => c.app);
    if (want === "" && cards.length === 1) return cards[0]!;
    const hit = cards.find((c) =>
      c.reader === id || c.serialNo.toUpperCase() === want ||
      c.app!.displaySerialNo.replace(/\s+/g, "").toUpperCase() === want ||
      c.serialNo.toUpperCase().slice(20, 28) === want
    );
    if (!hit) throw new Error(`Cannot find card "${id}"`);
    return hit;
  }

  #asker(): PinProvider {
    const ask = this.#ask;
    if (ask) return ask;
    return {
      get() {
        log.error(
          "Cannot ask for the PIN: no pinentry (set pinentry-program in gpg-agent.conf, " +
            "install pinentry, or cache the PIN with ssh-add -s)",
        );
        return Promise.reject(new Error("Cannot ask for the PIN: no pinentry"));
      },
    };
  }

  /** The key the application names for authentication (`GETATTR $AUTHKEYID`), if any. */
  async #authKeyRef(app: CardApplication): Promise<string | undefined> {
    let keyRef: string | undefined;
    await app.getAttr({ name: "$AUTHKEYID" }, {
      ...this.#queryContext(),
      status: {
        emit(keyword, ...args) {
          if (keyword === "$AUTHKEYID" && typeof args[0] === "string") keyRef = args[0];
        },
        emitRaw() {},
      },
    });
    return keyRef;
  }

  #queryContext(): OperationContext {
    return {
      pin: { get: () => Promise.reject(new Error("Cannot ask for a PIN to list keys")) },
      status: NULL_STATUS,
    };
  }

  /** Stop lifetime timers (socket closed). */
  close(): void {
    for (const timer of this.#lifetimes.values()) clearTimeout(timer);
    this.#lifetimes.clear();
    if (this.#pins.close) this.#pins.close();
    else this.#pins.clear();
  }
}

/**
 * A burst hold keeps the last transaction, and the card's verification, for a moment after
 * an operation (openpgp/burst_hold.ts): forgetting a PIN must end it too, or a signature in
 * that moment would go through without the PIN the user just took away.
 */
async function endHold(card: SshCard): Promise<void> {
  await card.app?.release?.().catch((e) => log.debug("Cannot end the hold: {error}", { error: e }));
}
