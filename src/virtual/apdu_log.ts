/**
 * Per-INS traffic counters of the virtual card, for tests that assert how many APDUs (and
 * bytes) a host needed for an operation.
 * @module
 */

/** Traffic of one INS. */
export interface InsTraffic {
  count: number;
  bytesIn: number;
  bytesOut: number;
}

/** APDU counters: total and by INS (two uppercase hex digits, e.g. "2A"). */
export class ApduLog {
  #byIns = new Map<string, InsTraffic>();
  #total = 0;

  /** Count one command/response pair. */
  record(command: Uint8Array, response: Uint8Array): void {
    const ins = command.length >= 2
      ? command[1]!.toString(16).toUpperCase().padStart(2, "0")
      : "--";
    const entry = this.#byIns.get(ins) ?? { count: 0, bytesIn: 0, bytesOut: 0 };
    entry.count++;
    entry.bytesIn += command.length;
    entry.bytesOut += response.length;
    this.#byIns.set(ins, entry);
    this.#total++;
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
    this.#total = 0;
  }
}
