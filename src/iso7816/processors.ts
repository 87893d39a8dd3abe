/**
 * APDU processors: small decorators with one `send` method, stacked over a
 * {@link CardChannel} (the yubikit `SmartCardProtocol` chain, with gnupg's rules):
 *
 * - {@link LengthStrategy}: a command too long for a short APDU goes out in extended form
 *   when the card announced extended Lc/Le, else by command chaining (CLA|0x10, 254-byte
 *   chunks, Le only on the last one) when it announced chaining; a large Ne alone falls back
 *   to Le=256 and 61xx (gnupg scd/apdu.c `send_le`, scd/app-openpgp.c `exmode = -254`).
 * - {@link GetResponse}: 61xx → GET RESPONSE with Le=xx until 9000, concatenating.
 * - {@link ExactLength}: 6Cxx on a short command → resend once with Le=xx
 *   (gnupg `did_exact_length_hack`).
 * - {@link ChannelSender}: encode, transmit, parse.
 * @module
 */

import type { CardChannel } from "../pcsc/channel.ts";
import { concat } from "../util/bytes.ts";
import {
  type CommandApdu,
  encodeCommandApdu,
  needsExtendedLength,
  parseResponseApdu,
  type ResponseApdu,
  SHORT_MAX_LC,
  SHORT_MAX_NE,
} from "./apdu.ts";
import { ApduLengthError } from "./errors.ts";

/** Options for one exchange. */
export interface SendOptions {
  signal?: AbortSignal;
}

/** Anything that sends a command APDU and returns the response. */
export interface ApduSender {
  send(cmd: CommandApdu, options?: SendOptions): Promise<ResponseApdu>;
}

/** What the card announced about APDU lengths (historical bytes, DO 7F66). */
export interface LengthCapabilities {
  /** Extended Lc/Le supported (card capabilities byte 3, bit 0x40). */
  extendedLength: boolean;
  /** Command chaining supported (card capabilities byte 3, bit 0x80). */
  commandChaining: boolean;
  /** Largest command data length in extended form (DO 7F66), if known. */
  maxCommandLength?: number;
  /** Largest response data length in extended form (DO 7F66), if known. */
  maxResponseLength?: number;
}

/** Capabilities assumed before the card told us anything: short APDUs only. */
export const SHORT_ONLY: LengthCapabilities = { extendedLength: false, commandChaining: false };

/** Called with every raw exchange (for the APDU trace log; callers redact PIN commands). */
export type ExchangeObserver = (
  command: Uint8Array,
  response: Uint8Array,
  apdu: CommandApdu,
) => void;

/** Bottom of the stack: encode (extended only when needed), transmit, parse. */
export class ChannelSender implements ApduSender {
  #channel: CardChannel;
  #observer: ExchangeObserver | undefined;

  constructor(channel: CardChannel, observer?: ExchangeObserver) {
    this.#channel = channel;
    this.#observer = observer;
  }

  async send(cmd: CommandApdu, options: SendOptions = {}): Promise<ResponseApdu> {
    options.signal?.throwIfAborted();
    const raw = encodeCommandApdu(cmd, { extended: needsExtendedLength(cmd) });
    let response: Uint8Array | undefined;
    try {
      response = await this.#channel.transmit(raw, options.signal);
      this.#observer?.(raw, response, cmd);
      return parseResponseApdu(response);
    } finally {
      // both are copies made for this exchange (a VERIFY's PIN, a decrypted key): the parsed
      // response holds its own copy of the data
      raw.fill(0);
      response?.fill(0);
    }
  }
}

/** 6Cxx: resend a short command once with the exact Le the card named. */
export class ExactLength implements ApduSender {
  #inner: ApduSender;

  constructor(inner: ApduSender) {
    this.#inner = inner;
  }

  async send(cmd: CommandApdu, options?: SendOptions): Promise<ResponseApdu> {
    const response = await this.#inner.send(cmd, options);
    if ((response.sw & 0xff00) !== 0x6c00 || needsExtendedLength(cmd)) return response;
    return await this.#inner.send({ ...cmd, le: (response.sw & 0xff) || SHORT_MAX_NE }, options);
  }
}

/** Upper bound on GET RESPONSE rounds, so a confused card cannot loop us forever. */
const MAX_GET_RESPONSE_ROUNDS = 1024;

/** 61xx: fetch the remaining response bytes with GET RESPONSE and concatenate them. */
export class GetResponse implements ApduSender {
  #inner: ApduSender;

  constructor(inner: ApduSender) {
    this.#inner = inner;
  }

  async send(cmd: CommandApdu, options?: SendOptions): Promise<ResponseApdu> {
    let response = await this.#inner.send(cmd, options);
    if ((response.sw & 0xff00) !== 0x6100) return response;
    const parts = [response.data];
    for (let round = 0; (response.sw & 0xff00) === 0x6100; round++) {
      if (round >= MAX_GET_RESPONSE_ROUNDS) {
        throw new ApduLengthError("Cannot read response: card keeps answering 61xx");
      }
      // ISO 7816-4 §7.6.1 GET RESPONSE; CLA as in the command it continues (gnupg send_le).
      response = await this.#inner.send(
        { cla: cmd.cla & ~0x10, ins: 0xc0, p1: 0, p2: 0, le: (response.sw & 0xff) || SHORT_MAX_NE },
        options,
      );
      parts.push(response.data);
    }
    const data = concat(...parts);
    for (const p of parts) p.fill(0); // the pieces of what may be a session key
    return { data, sw: response.sw };
  }
}

/** Chunk size for command chaining (gnupg app-openpgp.c uses `exmode = -254`). */
export const CHAINING_CHUNK = 254;

/**
 * Pick extended length or command chaining for commands that do not fit a short APDU,
 * according to the card's announced capabilities (changeable with {@link configure}).
 */
export class LengthStrategy implements ApduSender {
  #inner: ApduSender;
  #caps: LengthCapabilities;

  constructor(inner: ApduSender, caps: LengthCapabilities = SHORT_ONLY) {
    this.#inner = inner;
    this.#caps = { ...caps };
  }

  /** The capabilities in effect. */
  get capabilities(): LengthCapabilities {
    return { ...this.#caps };
  }

  /** Switch capabilities once the card has told us (historical bytes, 7F66). */
  configure(caps: LengthCapabilities): void {
    this.#caps = { ...caps };
  }

  async send(cmd: CommandApdu, options?: SendOptions): Promise<ResponseApdu> {
    if (!needsExtendedLength(cmd)) return await this.#inner.send(cmd, options);
    const lc = cmd.data?.length ?? 0;
    const caps = this.#caps;
    if (caps.extendedLength && lc <= (caps.maxCommandLength ?? Infinity)) {
      // Le goes out as asked (gnupg does not clamp it to 7F66 either).
      return await this.#inner.send(cmd, options);
    }
    const le = cmd.le === undefined ? undefined : "max" as const; // 256, then 61xx
    if (lc <= SHORT_MAX_LC) return await this.#inner.send(withLe(cmd, le), options);
    if (!caps.commandChaining) {
      throw new ApduLengthError(
        `Cannot send ${lc} data bytes: the card supports neither extended length nor command chaining`,
      );
    }
    if ((cmd.cla & 0xf0) !== 0) {
      throw new RangeError(
        `Cannot chain command with CLA ${cmd.cla.toString(16)}: upper bits in use`,
      );
    }
    return await this.#sendChained(cmd, le, options);
  }

  async #sendChained(
    cmd: CommandApdu,
    le: "max" | undefined,
    options?: SendOptions,
  ): Promise<ResponseApdu> {
    const data = cmd.data!;
    let offset = 0;
    // gnupg chains while more than 255 bytes remain, so the last chunk may hold 255.
    while (data.length - offset > SHORT_MAX_LC) {
      const chunk = data.subarray(offset, offset + CHAINING_CHUNK);
      offset += chunk.length;
      const response = await this.#inner.send(
        { cla: cmd.cla | 0x10, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data: chunk },
        options,
      );
      if (response.sw !== 0x9000) return response;
    }
    return await this.#inner.send(withLe({ ...cmd, data: data.subarray(offset) }, le), options);
  }
}

function withLe(cmd: CommandApdu, le: number | "max" | undefined): CommandApdu {
  const out: CommandApdu = { ...cmd };
  if (le === undefined) delete out.le;
  else out.le = le;
  return out;
}

/**
 * The standard stack over a channel: length strategy → GET RESPONSE → exact length →
 * channel. Call {@link ApduTransport.configure} when the card's capabilities are known.
 */
export class ApduTransport implements ApduSender {
  #strategy: LengthStrategy;

  constructor(
    channel: CardChannel,
    options: { capabilities?: LengthCapabilities; observer?: ExchangeObserver } = {},
  ) {
    const bottom = new ExactLength(new ChannelSender(channel, options.observer));
    this.#strategy = new LengthStrategy(new GetResponse(bottom), options.capabilities);
  }

  /** The capabilities in effect. */
  get capabilities(): LengthCapabilities {
    return this.#strategy.capabilities;
  }

  /** Switch capabilities (extended length / chaining). */
  configure(caps: LengthCapabilities): void {
    this.#strategy.configure(caps);
  }

  send(cmd: CommandApdu, options?: SendOptions): Promise<ResponseApdu> {
    return this.#strategy.send(cmd, options);
  }
}
