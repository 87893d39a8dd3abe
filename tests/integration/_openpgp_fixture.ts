/**
 * Test fixture for the OpenPGP application over the in-process virtual card: a scripted
 * PIN provider that records prompts and verdicts, and a status sink that renders lines the
 * way stock's send_status_info / send_status_direct would.
 * @module
 */

import type { OperationContext } from "../../src/app/application.ts";
import type { PinOutcome, PinProvider, PinRequest } from "../../src/app/pin.ts";
import type { StatusSink } from "../../src/app/status.ts";
import {
  type CardConnector,
  OpenPgpApplication,
  type OpenPgpApplicationOptions,
} from "../../src/openpgp/application.ts";
import type { CardChannel } from "../../src/pcsc/channel.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { VirtualCard, type VirtualCardOptions } from "../../src/virtual/card.ts";
import { ADMIN_PIN, USER_PIN } from "../support/fixtures.ts";
import { VirtualChannel } from "../support/virtual_channel.ts";

/** Answers PIN requests from a table keyed by "kind/purpose"; records everything. */
export class ScriptedPins implements PinProvider {
  readonly requests: PinRequest[] = [];
  readonly reports: [string, PinOutcome][] = [];
  answers: Record<string, string | string[]>;

  constructor(answers: Record<string, string | string[]> = {}) {
    this.answers = { "user/verify": USER_PIN, "admin/verify": ADMIN_PIN, ...answers };
  }

  get(request: PinRequest): Promise<Uint8Array> {
    this.requests.push(request);
    const key = `${request.kind}/${request.purpose}`;
    const a = this.answers[key];
    if (a === undefined) return Promise.reject(new Error(`No scripted PIN for ${key}`));
    const value = Array.isArray(a) ? a.shift() : a;
    if (value === undefined) return Promise.reject(new Error(`Scripted PINs for ${key} used up`));
    return Promise.resolve(utf8(value));
  }

  report(request: PinRequest, outcome: PinOutcome): void {
    this.reports.push([`${request.kind}/${request.purpose}`, outcome]);
  }
}

/** stock's send_status_info escaping: + " % and bytes < 0x20 as %XX, space as +. */
function escapeArg(arg: string | Uint8Array): string {
  const bytes = typeof arg === "string" ? utf8(arg) : arg;
  let out = "";
  for (const b of bytes) {
    if (b === 0x2b || b === 0x22 || b === 0x25 || b < 0x20) {
      out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
    } else if (b === 0x20) out += "+";
    else out += String.fromCharCode(b);
  }
  return out;
}

/** Records status lines as "KEYWORD args" strings. */
export class StatusRecorder implements StatusSink {
  readonly lines: string[] = [];

  emit(keyword: string, ...args: (string | Uint8Array)[]): void {
    const parts = args.filter((a) => a.length > 0).map(escapeArg);
    this.lines.push(parts.length ? `${keyword} ${parts.join(" ")}` : keyword);
  }

  emitRaw(keyword: string, text: string): void {
    this.lines.push(text ? `${keyword} ${text}` : keyword);
  }

  /** Lines starting with `keyword`. */
  of(keyword: string): string[] {
    return this.lines.filter((l) => l === keyword || l.startsWith(keyword + " "));
  }

  clear(): void {
    this.lines.length = 0;
  }
}

/** A fresh virtual card, its channel, an application on it, and a context. */
export interface Fixture {
  card: VirtualCard;
  channel: VirtualChannel;
  app: OpenPgpApplication;
  pins: ScriptedPins;
  status: StatusRecorder;
  ctx: OperationContext;
  /** How many operations opened the card. */
  connects: () => number;
}

export async function openFixture(
  options: {
    card?: VirtualCardOptions;
    app?: OpenPgpApplicationOptions;
    pins?: Record<string, string | string[]>;
    /** Answer the YubiKey OpenPGP applet's GET VERSION (INS F1) as a real YubiKey does. */
    yubikeyVersion?: readonly [number, number, number];
  } = {},
): Promise<Fixture> {
  const card = await VirtualCard.open({ autoTouchMs: 0, ...options.card });
  const channel = new VirtualChannel(card);
  const version = options.yubikeyVersion;
  const yubikey: CardChannel = {
    reader: channel.reader,
    atr: channel.atr,
    transmit: (apdu, signal) =>
      version && apdu[1] === 0xf1
        ? Promise.resolve(Uint8Array.of(...version, 0x90, 0x00))
        : channel.transmit(apdu, signal),
  };
  let connects = 0;
  const connect: CardConnector = (fn) => {
    connects++;
    return fn(version ? yubikey : channel);
  };
  const app = await OpenPgpApplication.open(connect, options.app);
  const pins = new ScriptedPins(options.pins);
  const status = new StatusRecorder();
  return { card, channel, app, pins, status, ctx: { pin: pins, status }, connects: () => connects };
}
