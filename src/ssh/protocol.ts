/**
 * The SSH agent protocol's messages (draft-miller-ssh-agent, as OpenSSH 9.2 speaks it): a
 * request body (the bytes after the uint32 length) parsed once into a tagged union, and the
 * replies encoded. Numbers and field orders are the draft's §3–§4 and OpenSSH's
 * PROTOCOL.agent (session-bind@openssh.com). Pure functions.
 * @module
 */

import { concat, uintBE } from "../util/bytes.ts";
import { SshReader, sshString } from "../formats/mod.ts";

/** Message numbers (draft-miller-ssh-agent §6.1). */
export const SSH_AGENT_FAILURE = 5;
export const SSH_AGENT_SUCCESS = 6;
export const SSH_AGENTC_REQUEST_IDENTITIES = 11;
export const SSH_AGENT_IDENTITIES_ANSWER = 12;
export const SSH_AGENTC_SIGN_REQUEST = 13;
export const SSH_AGENT_SIGN_RESPONSE = 14;
export const SSH_AGENTC_ADD_IDENTITY = 17;
export const SSH_AGENTC_REMOVE_IDENTITY = 18;
export const SSH_AGENTC_REMOVE_ALL_IDENTITIES = 19;
export const SSH_AGENTC_ADD_SMARTCARD_KEY = 20;
export const SSH_AGENTC_REMOVE_SMARTCARD_KEY = 21;
export const SSH_AGENTC_LOCK = 22;
export const SSH_AGENTC_UNLOCK = 23;
export const SSH_AGENTC_ADD_ID_CONSTRAINED = 25;
export const SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED = 26;
export const SSH_AGENTC_EXTENSION = 27;

/** Signature flags (§4.5.1). */
export const SSH_AGENT_RSA_SHA2_256 = 2;
export const SSH_AGENT_RSA_SHA2_512 = 4;

/** Key constraints (§4.2.6). */
const SSH_AGENT_CONSTRAIN_LIFETIME = 1;
const SSH_AGENT_CONSTRAIN_CONFIRM = 2;

/** OpenSSH's AGENT_MAX_LEN: a longer message is refused and the connection closed. */
export const MAX_MESSAGE_LENGTH = 256 * 1024;

/** A parsed request. */
export type AgentRequest =
  | { type: "identities" }
  | { type: "sign"; keyBlob: Uint8Array; data: Uint8Array; flags: number }
  | {
    type: "add-smartcard";
    id: string;
    /** The PIN as ssh-add sent it; the handler wipes it. */
    pin: Uint8Array;
    lifetimeSeconds?: number;
    confirm: boolean;
  }
  | { type: "remove-smartcard"; id: string }
  | { type: "remove-all" }
  | { type: "lock"; passphrase: Uint8Array }
  | { type: "unlock"; passphrase: Uint8Array }
  | {
    type: "session-bind";
    hostKey: Uint8Array;
    sessionId: Uint8Array;
    signature: Uint8Array;
    forwarding: boolean;
  }
  | { type: "extension"; name: string }
  /** A known message the agent refuses (software keys, legacy SSH1 requests). */
  | { type: "refused"; what: string }
  | { type: "unknown"; number: number };

/** Text of a PIN or passphrase field, wiped by the caller. */
function secret(r: SshReader): Uint8Array {
  return r.string().slice();
}

/**
 * Parse one request body. Throws {@linkcode SshWireError} (or a subclass of SyntaxError) on
 * a malformed body; the caller answers SSH_AGENT_FAILURE.
 */
export function parseRequest(body: Uint8Array): AgentRequest {
  const r = new SshReader(body);
  const number = r.byte();
  switch (number) {
    case SSH_AGENTC_REQUEST_IDENTITIES:
      r.end();
      return { type: "identities" };
    case SSH_AGENTC_SIGN_REQUEST: {
      const keyBlob = r.string();
      const data = r.string();
      const flags = r.uint32();
      r.end();
      return { type: "sign", keyBlob, data, flags };
    }
    case SSH_AGENTC_ADD_SMARTCARD_KEY:
    case SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED: {
      const id = r.text();
      const pin = secret(r);
      try {
        return { type: "add-smartcard", id, pin, ...constraints(r) };
      } catch (e) {
        pin.fill(0);
        throw e;
      }
    }
    case SSH_AGENTC_REMOVE_SMARTCARD_KEY: {
      const id = r.text();
      r.string(); // the PIN field ssh-add -e sends empty; unused
      r.end();
      return { type: "remove-smartcard", id };
    }
    case SSH_AGENTC_REMOVE_ALL_IDENTITIES:
      r.end();
      return { type: "remove-all" };
    case SSH_AGENTC_LOCK:
    case SSH_AGENTC_UNLOCK: {
      const passphrase = secret(r);
      if (r.remaining !== 0) {
        passphrase.fill(0);
        r.end();
      }
      return { type: number === SSH_AGENTC_LOCK ? "lock" : "unlock", passphrase };
    }
    case SSH_AGENTC_EXTENSION:
      return extension(r);
    case SSH_AGENTC_ADD_IDENTITY:
    case SSH_AGENTC_ADD_ID_CONSTRAINED:
      return { type: "refused", what: "software keys (ADD_IDENTITY)" };
    case SSH_AGENTC_REMOVE_IDENTITY:
      return { type: "refused", what: "REMOVE_IDENTITY of a card key" };
    default:
      return { type: "unknown", number };
  }
}

/** Constraints after ADD_SMARTCARD_KEY(_CONSTRAINED) (§4.2.6); unknown ones are refused. */
function constraints(r: SshReader): { lifetimeSeconds?: number; confirm: boolean } {
  let lifetimeSeconds: number | undefined;
  let confirm = false;
  while (r.remaining > 0) {
    const kind = r.byte();
    if (kind === SSH_AGENT_CONSTRAIN_LIFETIME) lifetimeSeconds = r.uint32();
    else if (kind === SSH_AGENT_CONSTRAIN_CONFIRM) confirm = true;
    else throw new RangeError(`Cannot apply key constraint ${kind}`);
  }
  return lifetimeSeconds === undefined ? { confirm } : { lifetimeSeconds, confirm };
}

/** SSH_AGENTC_EXTENSION: session-bind@openssh.com is read (session_bind.ts checks it); others only named. */
function extension(r: SshReader): AgentRequest {
  const name = r.text();
  if (name !== "session-bind@openssh.com") return { type: "extension", name };
  // PROTOCOL.agent: string hostkey, string session identifier, string signature, bool
  const hostKey = r.string();
  const sessionId = r.string();
  const signature = r.string();
  const forwarding = r.boolean();
  r.end();
  return { type: "session-bind", hostKey, sessionId, signature, forwarding };
}

/** A reply frame: uint32 length ‖ body. */
export function frame(body: Uint8Array): Uint8Array {
  return concat(uintBE(body.length, 4), body);
}

/** SSH_AGENT_FAILURE / SSH_AGENT_SUCCESS bodies. */
export const FAILURE = Uint8Array.of(SSH_AGENT_FAILURE);
export const SUCCESS = Uint8Array.of(SSH_AGENT_SUCCESS);

/** SSH_AGENT_IDENTITIES_ANSWER. */
export function identitiesAnswer(
  keys: readonly { blob: Uint8Array; comment: string }[],
): Uint8Array {
  return concat(
    Uint8Array.of(SSH_AGENT_IDENTITIES_ANSWER),
    uintBE(keys.length, 4),
    ...keys.flatMap((k) => [sshString(k.blob), sshString(k.comment)]),
  );
}

/** SSH_AGENT_SIGN_RESPONSE. */
export function signResponse(signature: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(SSH_AGENT_SIGN_RESPONSE), sshString(signature));
}
