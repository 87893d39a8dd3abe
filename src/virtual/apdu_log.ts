/**
 * Per-INS traffic counters of the virtual card, for tests that assert how many APDUs (and
 * bytes) a host needed for an operation.
 * @module
 */

/** Traffic of one INS. */
export interface InsTraffic {
  count: number;
  /**
   * Commands in extended length form (ISO 7816-4: a 00 byte, then 2-byte Lc/Le); always set
   * by {@linkcode ApduLog}, absent in traffic recorded before it counted them.
   */
  extended?: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * One VERIFY (INS 20) the card received: the reference (P2), P1 (FF = reset the status), how
 * many PIN bytes came with it (0 = a status query) and the status word. Never the PIN itself.
 */
export interface VerifyRecord {
  p1: string;
  p2: string;
  dataLength: number;
  sw: string;
}

/** APDU counters: total and by INS (two uppercase hex digits, e.g. "2A"). */
export class ApduLog {
  #byIns = new Map<string, InsTraffic>();
  #verifies: VerifyRecord[] = [];
  #total = 0;
  #resets = 0;

  /** Count a warm reset or power cycle of the card. */
  noteReset(): void {
    this.#resets++;
  }

  /** Resets and power cycles since the last {@linkcode reset}. */
  resets(): number {
    return this.#resets;
  }

  /** Count one command/response pair. */
  record(command: Uint8Array, response: Uint8Array): void {
    const ins = command.length >= 2
      ? command[1]!.toString(16).toUpperCase().padStart(2, "0")
      : "--";
    const entry = this.#byIns.get(ins) ?? { count: 0, extended: 0, bytesIn: 0, bytesOut: 0 };
    entry.count++;
    if (command.length >= 7 && command[4] === 0x00) entry.extended = (entry.extended ?? 0) + 1;
    entry.bytesIn += command.length;
    entry.bytesOut += response.length;
    this.#byIns.set(ins, entry);
    this.#total++;
    if (ins === "20" && command.length >= 4) this.#recordVerify(command, response);
  }

  #recordVerify(command: Uint8Array, response: Uint8Array): void {
    const hex = (b: number | undefined) => (b ?? 0).toString(16).toUpperCase().padStart(2, "0");
    const dataLength = command.length > 5 ? command[4]! : 0;
    const sw = hex(response[response.length - 2]) + hex(response[response.length - 1]);
    this.#verifies.push({ p1: hex(command[2]), p2: hex(command[3]), dataLength, sw });
  }

  /** The VERIFY commands since the last reset, in order (see {@linkcode VerifyRecord}). */
  verifies(): VerifyRecord[] {
    return this.#verifies.map((v) => ({ ...v }));
  }

  /** Number of APDUs since the last reset. */
  total(): number {
    return this.#total;
  }

  /** A snapshot of the counters by INS. */
  byIns(): Record<string, InsTraffic> {
    const out: Record<string, InsTraffic> = {};
    for (const [ins, t] of [...this.#byIns].sort(([a], [b]) => a.localeCompare(b))) {
      out[ins] = { ...t };
    }
    return out;
  }

  /** Start counting from zero. */
  reset(): void {
    this.#byIns.clear();
    this.#verifies = [];
    this.#total = 0;
    this.#resets = 0;
  }
}
