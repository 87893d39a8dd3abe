/**
 * The virtual card's control port: JSON lines over TCP on 127.0.0.1, one command object per
 * line in, one reply object per line out. Tests use it to pull and insert the card, confirm a
 * touch, add latency, inject status words and read the APDU log.
 *
 * Commands: `status`, `remove`, `insert`, `reset`, `touch`, `latency {model}` (a model name or
 * `INS=MS,…` as in latency.ts) or `latency {apduMs, psoMs}` (the old form),
 * `inject {sw: "6982", count}`, `other-aid {aid}` (a second application: its SELECT answers 9000
 * and deselects OpenPGP), `log` (counts by INS, and each VERIFY's reference, data length
 * and SW: never the PIN), `log-reset`, `quit`. Replies are `{"ok":true,…}` or
 * `{"ok":false,"error":"…"}`.
 * @module
 */

import { type LatencyModel, parseLatency } from "./latency.ts";

/** APDU statistics for one INS. */
export interface InsStats {
  count: number;
  bytesIn: number;
  bytesOut: number;
}

/** The card operations the control port needs (VirtualCard provides them). */
export interface ControlledCard {
  readonly serial: number;
  reset(): void;
  touch(): void;
  setLatency(l: { apduMs?: number; psoMs?: number; model?: LatencyModel }): void;
  injectStatus(sw: number, count: number): void;
  /** A second application answering SELECT of `aid` (see VirtualCard.addOtherApplication). */
  addOtherApplication?(aid: Uint8Array): void;
  readonly apduLog: {
    total(): number;
    byIns(): Record<string, InsStats>;
    /** VERIFY commands in order (reference, data length, SW; never the PIN). */
    verifies?(): { p1: string; p2: string; dataLength: number; sw: string }[];
    /** Warm resets and power cycles (a host's SCARD_RESET_CARD is one). */
    resets?(): number;
    reset(): void;
  };
}

/** The reader link (VpcdClient provides it). */
export interface ControlledLink {
  readonly connected: boolean;
  remove(): void;
  insert(): void;
}

/** Everything a command may act on. */
export interface ControlContext {
  card: ControlledCard;
  link: ControlledLink;
  /** Called after the reply to `quit` has been sent. */
  quit(): void;
}

/** A reply line. */
export type ControlReply =
  | { ok: true; [key: string]: unknown }
  | { ok: false; error: string };

class ControlError extends Error {
  override name = "ControlError";
}

type Handler = (args: Record<string, unknown>, ctx: ControlContext) => ControlReply;

const HANDLERS: Readonly<Record<string, Handler>> = {
  "status": (_, { card, link }) => ({
    ok: true,
    connected: link.connected,
    serial: card.serial.toString(16).toUpperCase().padStart(8, "0"),
  }),
  "remove": (_, { link }) => (link.remove(), { ok: true }),
  "insert": (_, { link }) => (link.insert(), { ok: true }),
  "reset": (_, { card }) => (card.reset(), { ok: true }),
  "touch": (_, { card }) => (card.touch(), { ok: true }),
  "latency": (args, { card }) => {
    if (args.model !== undefined) {
      if (typeof args.model !== "string") {
        throw new ControlError(
          '"model" must be a string such as "openpgp34" or "20=800,default=10"',
        );
      }
      const model = parseLatency(args.model);
      card.setLatency({ model });
      return { ok: true, model: model.name };
    }
    const l: { apduMs?: number; psoMs?: number } = {};
    const apduMs = optionalMs(args, "apduMs");
    const psoMs = optionalMs(args, "psoMs");
    if (apduMs !== undefined) l.apduMs = apduMs;
    if (psoMs !== undefined) l.psoMs = psoMs;
    card.setLatency(l);
    return { ok: true };
  },
  "inject": (args, { card }) => {
    const sw = args.sw;
    if (typeof sw !== "string" || !/^[0-9A-Fa-f]{4}$/.test(sw)) {
      throw new ControlError('"sw" must be 4 hex digits, e.g. "6982"');
    }
    const count = args.count ?? 1;
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
      throw new ControlError('"count" must be a non-negative integer');
    }
    card.injectStatus(parseInt(sw, 16), count);
    return { ok: true };
  },
  "other-aid": (args, { card }) => {
    const aid = args.aid;
    if (typeof aid !== "string" || !/^([0-9A-Fa-f]{2}){5,16}$/.test(aid)) {
      throw new ControlError('"aid" must be 5 to 16 bytes in hex, e.g. "A000000308"');
    }
    if (card.addOtherApplication === undefined) throw new ControlError("not supported");
    card.addOtherApplication(Uint8Array.from(aid.match(/../g)!, (h) => parseInt(h, 16)));
    return { ok: true };
  },
  "log": (_, { card }) => ({
    ok: true,
    total: card.apduLog.total(),
    byIns: card.apduLog.byIns(),
    verifies: card.apduLog.verifies?.() ?? [],
    resets: card.apduLog.resets?.() ?? 0,
  }),
  "log-reset": (_, { card }) => (card.apduLog.reset(), { ok: true }),
  "quit": () => ({ ok: true }),
};

function optionalMs(args: Record<string, unknown>, name: string): number | undefined {
  const v = args[name];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new ControlError(`"${name}" must be a non-negative number of milliseconds`);
  }
  return v;
}

/** Run one command line; never throws (errors become `{ok:false}` replies). */
export function runControlCommand(line: string, ctx: ControlContext): ControlReply {
  return execute(line, ctx).reply;
}

function execute(line: string, ctx: ControlContext): { reply: ControlReply; cmd?: string } {
  let args: unknown;
  try {
    args = JSON.parse(line);
  } catch (e) {
    return { reply: { ok: false, error: `Cannot parse control command: ${(e as Error).message}` } };
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    return { reply: { ok: false, error: "Cannot parse control command: expected a JSON object" } };
  }
  const cmd = (args as Record<string, unknown>).cmd;
  if (typeof cmd !== "string" || !Object.hasOwn(HANDLERS, cmd)) {
    const error = `Cannot run control command: unknown cmd ${JSON.stringify(cmd ?? null)}`;
    return { reply: { ok: false, error } };
  }
  try {
    return { reply: HANDLERS[cmd]!(args as Record<string, unknown>, ctx), cmd };
  } catch (e) {
    const error = `Cannot run control command "${cmd}": ${(e as Error).message}`;
    return { reply: { ok: false, error }, cmd };
  }
}

/** Options for {@linkcode ControlServer.listen}. */
export interface ControlServerOptions {
  /** TCP port; 0 picks a free one (see `port`). */
  port: number;
  /** Interface, default 127.0.0.1 (the port has no authentication: keep it local). */
  hostname?: string;
}

/** The TCP side: accepts any number of clients, each sending any number of lines. */
export class ControlServer implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #ctx: ControlContext;
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #closed = false;

  private constructor(listener: Deno.TcpListener, ctx: ControlContext) {
    this.#listener = listener;
    this.#ctx = ctx;
    this.#accepting = this.#accept();
  }

  /** Listen and serve `ctx` until `close()`. */
  static listen(ctx: ControlContext, options: ControlServerOptions): ControlServer {
    const listener = Deno.listen({ hostname: options.hostname ?? "127.0.0.1", port: options.port });
    return new ControlServer(listener, ctx);
  }

  /** The bound port. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** Stop listening, drop clients, and wait for their handlers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const c of this.#conns) closeQuietly(c);
    await this.#accepting;
    await Promise.all(this.#tasks);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #accept(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // listener closed
      }
      this.#conns.add(conn);
      const task = this.#serve(conn).finally(() => {
        this.#conns.delete(conn);
        this.#tasks.delete(task);
        closeQuietly(conn);
      });
      this.#tasks.add(task);
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    const buf = new Uint8Array(4096);
    let pending = "";
    while (true) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        return; // closed by close() or a reset peer
      }
      if (n === null) return;
      pending += decoder.decode(buf.subarray(0, n), { stream: true });
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line === "") continue;
        const { reply, cmd } = execute(line, this.#ctx);
        try {
          const bytes = encoder.encode(JSON.stringify(reply) + "\n");
          let off = 0;
          while (off < bytes.length) off += await conn.write(bytes.subarray(off));
        } catch {
          return;
        }
        if (reply.ok && cmd === "quit") this.#ctx.quit();
      }
    }
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
