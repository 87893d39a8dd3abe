/**
 * `session-bind@openssh.com` (OpenSSH PROTOCOL.agent §1): ssh tells the agent, per agent
 * connection, which SSH session (host key, session identifier) it is using the connection
 * for, proved by the host key's signature over the session identifier, and whether the
 * connection is a forwarding (ssh -A opens one per forwarded-agent channel and binds it with
 * is_forwarding set before the far side can send anything).
 *
 * The rules are those of OpenSSH's ssh-agent.c `process_ext_session_bind` (read, not
 * copied): the signature must verify; a session identifier over 128 bytes is refused; once a
 * connection is bound for authentication (is_forwarding 0) it accepts no further binding; the
 * same identifier and key again is accepted and not recorded twice, the same identifier with
 * another key is refused; at most 16 bindings per connection. A bind that fails is still
 * remembered as attempted (OpenSSH's `session_bind_attempted`).
 * @module
 */

import { equalBytes } from "../util/bytes.ts";
import { verifyHostSignature } from "./host_key.ts";

/** OpenSSH ssh-agent.c AGENT_MAX_SESSION_IDS. */
export const MAX_SESSION_BINDS = 16;
/** OpenSSH ssh-agent.c AGENT_MAX_SID_LEN. */
export const MAX_SESSION_ID_LENGTH = 128;

/** One recorded binding. */
export interface SessionBind {
  hostKey: Uint8Array;
  sessionId: Uint8Array;
  forwarding: boolean;
}

/** A bind request as parsed (protocol.ts). */
export interface SessionBindRequest extends SessionBind {
  signature: Uint8Array;
}

/** The bindings of one agent connection. */
export class SessionBinds {
  readonly #binds: SessionBind[] = [];
  #attempted = false;

  /** The recorded bindings, oldest first. */
  get list(): readonly SessionBind[] {
    return this.#binds;
  }

  /** Whether any bind was sent on this connection, verified or not. */
  get attempted(): boolean {
    return this.#attempted;
  }

  /**
   * Whether signatures on this connection may come from a forwarded agent: a binding with
   * is_forwarding set, or a bind that failed (then nothing says where the request comes from;
   * OpenSSH treats such a connection as remote, `socket_is_remote`).
   */
  get forwarded(): boolean {
    return this.#binds.some((b) => b.forwarding) || (this.#attempted && this.#binds.length === 0);
  }

  /** Check and record one bind; the reason it was refused, or undefined when accepted. */
  bind(request: SessionBindRequest): string | undefined {
    this.#attempted = true;
    const { hostKey, sessionId, signature, forwarding } = request;
    if (sessionId.length > MAX_SESSION_ID_LENGTH) return "session identifier too long";
    if (!verifyHostSignature(hostKey, sessionId, signature)) {
      return "the host key's signature over the session identifier does not verify";
    }
    for (const old of this.#binds) {
      if (!old.forwarding) return "connection already bound for authentication";
      if (equalBytes(old.sessionId, sessionId)) {
        return equalBytes(old.hostKey, hostKey) ? undefined : "session bound to another host key";
      }
    }
    if (this.#binds.length >= MAX_SESSION_BINDS) return "too many session bindings";
    this.#binds.push({ hostKey: hostKey.slice(), sessionId: sessionId.slice(), forwarding });
    return undefined;
  }
}
