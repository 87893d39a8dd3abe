/**
 * vsmartcard vpcd client: plugs a card into pcscd's virtual reader. vpcd (the pcscd driver)
 * listens on TCP (35963 for "Virtual PCD 00 00", 35964 for "00 01"); the card connects to it.
 *
 * Wire facts (frankmorgner/vsmartcard virtualsmartcard/src/vpcd/vpcd.c and vpcd.h): every
 * message is a 2-byte big-endian length and that many bytes. A 1-byte message from vpcd is a
 * control code: 0 power off, 1 power on, 2 reset (none is answered), 4 get ATR (answered with
 * the ATR). vpcd polls presence by asking for the ATR. Any longer message is a command APDU,
 * answered with the response APDU; an empty answer makes vpcd eject the card, so we never
 * send one. A closed connection is a removed card.
 * @module
 */

/** vpcd control codes (vpcd.h `VPCD_CTRL_*`). */
export const VPCD_CTRL_OFF = 0;
export const VPCD_CTRL_ON = 1;
export const VPCD_CTRL_RESET = 2;
export const VPCD_CTRL_ATR = 4;

/** vpcd's default port for the first reader (vpcd.h `VPCDPORT`). */
export const VPCD_PORT = 35963;

/** What the client drives: the virtual card. */
export interface VpcdTarget {
  readonly atr: Uint8Array;
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  powerOn(): void;
  powerOff(): void;
  reset(): void;
}

/** Options for {@linkcode VpcdClient}. */
export interface VpcdClientOptions {
  /** vpcd host, default 127.0.0.1. */
  hostname?: string;
  /** vpcd port, default 35963. */
  port?: number;
  /** Delay between connection attempts, default 200 ms. */
  reconnectMs?: number;
  /** Called on every connect (true) and disconnect (false). */
  onConnectionChange?: (connected: boolean) => void;
  /** Diagnostics sink (the CLI sends it to stderr). */
  log?: (message: string) => void;
}

/** Encode one vpcd message. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > 0xffff) {
    throw new RangeError(`Cannot encode vpcd frame: ${payload.length} bytes is too long`);
  }
  const out = new Uint8Array(payload.length + 2);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/** Reassembles vpcd messages from TCP chunks of any size. */
export class FrameDecoder {
  #buf = new Uint8Array(0);

  /** Add received bytes; returns the messages completed by them, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buf.length + chunk.length);
    joined.set(this.#buf);
    joined.set(chunk, this.#buf.length);
    const frames: Uint8Array[] = [];
    let i = 0;
    while (joined.length - i >= 2) {
      const len = (joined[i]! << 8) | joined[i + 1]!;
      if (joined.length - i - 2 < len) break;
      frames.push(joined.slice(i + 2, i + 2 + len));
      i += 2 + len;
    }
    this.#buf = joined.slice(i);
    return frames;
  }

  /** Bytes held back waiting for the rest of a message. */
  get pending(): number {
    return this.#buf.length;
  }
}

/** Status word answered when the card itself throws (6F00 "no precise diagnosis"). */
const SW_UNKNOWN = Uint8Array.of(0x6f, 0x00);

/**
 * Keeps a card connected to vpcd: connects, serves vpcd's requests one at a time, and
 * reconnects every `reconnectMs` while vpcd is away. `remove()` disconnects and stays away
 * (card pulled); `insert()` comes back.
 */
export class VpcdClient implements AsyncDisposable {
  readonly #target: VpcdTarget;
  readonly #hostname: string;
  readonly #port: number;
  readonly #reconnectMs: number;
  readonly #onChange: ((connected: boolean) => void) | undefined;
  readonly #log: (message: string) => void;
  #conn: Deno.TcpConn | undefined;
  #connected = false;
  #removed = false;
  #closed = false;
  #running: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(target: VpcdTarget, options: VpcdClientOptions = {}) {
    this.#target = target;
    this.#hostname = options.hostname ?? "127.0.0.1";
    this.#port = options.port ?? VPCD_PORT;
    this.#reconnectMs = options.reconnectMs ?? 200;
    this.#onChange = options.onConnectionChange;
    this.#log = options.log ?? (() => {});
  }

  /** True while a TCP connection to vpcd is open. */
  get connected(): boolean {
    return this.#connected;
  }

  /** True unless `remove()` took the card out. */
  get inserted(): boolean {
    return !this.#removed;
  }

  /** Start connecting (idempotent). */
  start(): void {
    if (this.#closed) throw new Error("Cannot start vpcd client: it is closed");
    this.#running ??= this.#run();
  }

  /** Pull the card: drop the connection and do not reconnect until `insert()`. */
  remove(): void {
    this.#removed = true;
    this.#dropConnection();
  }

  /** Put the card back: reconnect at once. */
  insert(): void {
    this.#removed = false;
    this.#wake?.();
  }

  /** Disconnect for good and wait until the connection loop has ended. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    this.#dropConnection();
    await this.#running;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Close the socket now (vpcd sees the card gone at once). The serve loop notices and
   * cleans up; an APDU the card is still working on finishes first.
   */
  #dropConnection(): void {
    const conn = this.#conn;
    if (!conn) return;
    try {
      conn.close();
    } catch { /* already closed by the peer */ }
    this.#setConnected(false);
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      if (this.#removed) {
        await this.#pause(undefined);
        continue;
      }
      let conn: Deno.TcpConn;
      try {
        conn = await Deno.connect({ hostname: this.#hostname, port: this.#port });
      } catch {
        await this.#pause(this.#reconnectMs);
        continue;
      }
      if (this.#closed || this.#removed) {
        conn.close();
        continue;
      }
      await this.#session(conn);
      if (!this.#closed && !this.#removed) await this.#pause(this.#reconnectMs);
    }
  }

  async #session(conn: Deno.TcpConn): Promise<void> {
    this.#conn = conn;
    this.#setConnected(true);
    this.#log(`vpcd: connected to ${this.#hostname}:${this.#port}`);
    try {
      await this.#serve(conn);
    } catch (e) {
      if (!this.#closed && !this.#removed) this.#log(`vpcd: connection lost: ${errorText(e)}`);
    }
    try {
      conn.close();
    } catch { /* closed by remove() or the peer */ }
    this.#conn = undefined;
    // Leaving the reader is a power loss: the card forgets its security state.
    this.#target.powerOff();
    this.#setConnected(false);
    this.#log("vpcd: disconnected");
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const decoder = new FrameDecoder();
    const buf = new Uint8Array(8192);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return;
      for (const frame of decoder.push(buf.subarray(0, n))) {
        const reply = await this.#handle(frame);
        if (reply) await writeAll(conn, encodeFrame(reply));
      }
    }
  }

  async #handle(frame: Uint8Array): Promise<Uint8Array | undefined> {
    if (frame.length === 1) {
      switch (frame[0]) {
        case VPCD_CTRL_OFF:
          this.#target.powerOff();
          return undefined;
        case VPCD_CTRL_ON:
          this.#target.powerOn();
          return undefined;
        case VPCD_CTRL_RESET:
          this.#target.reset();
          return undefined;
        case VPCD_CTRL_ATR:
          return this.#target.atr;
        default:
          this.#log(`vpcd: ignoring unknown control code ${frame[0]}`);
          return undefined;
      }
    }
    if (frame.length === 0) return undefined;
    try {
      const response = await this.#target.transmit(frame);
      return response.length >= 2 ? response : SW_UNKNOWN;
    } catch (e) {
      this.#log(`vpcd: card failed on an APDU: ${errorText(e)}`);
      return SW_UNKNOWN;
    }
  }

  #setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    this.#onChange?.(connected);
  }

  /** Sleep `ms` (forever when undefined) or until insert()/close() wakes us. */
  #pause(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const wake = () => done();
      this.#wake = wake;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      if (this.#closed) done();
    }).finally(() => {
      this.#wake = undefined;
    });
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
