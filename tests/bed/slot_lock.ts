/**
 * Cross-process locks on vpcd slots. vpcd serves one card per port, and a stock scdaemon
 * left running by one run grabs (exclusively) whatever card appears in its reader, so two
 * e2e runs must never share a slot of the same pcscd. A lock is a file created exclusively
 * (`slot.<pcscd>.<n>`, or `slot.<pcscd>.all` for the whole pcscd, holding the owner's PID);
 * a dead owner's lock is taken over.
 *
 * @module
 */
import { alive } from "./procs.ts";

/** A held slot; release it with {@linkcode SlotLock.releaseSync}. */
export class SlotLock {
  readonly slot: 0 | 1;
  readonly #path: string;
  #released = false;

  constructor(slot: 0 | 1, path: string) {
    this.slot = slot;
    this.#path = path;
  }

  /** Gives the slot back (safe to call twice). */
  releaseSync(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      if (Deno.readTextFileSync(this.#path).trim() === String(Deno.pid)) {
        Deno.removeSync(this.#path);
      }
    } catch {
      // already gone
    }
  }
}

/** Options for {@linkcode acquireSlot}. */
export interface AcquireSlotOptions {
  /** Directory for the lock files. */
  dir: string;
  /** Which pcscd the slots belong to ("host" or "chroot"). */
  pcscd: string;
  /** Slots to try, in order. */
  slots: (0 | 1)[];
  /** Give up after this long, default 20 minutes. */
  timeoutMs?: number;
  /**
   * Take the whole pcscd (one lock for all its slots) and use the first of `slots`. For
   * gnupg 2.4, whose scdaemon cannot be pinned to reader 0 and opens every reader with a card.
   */
  wholePcscd?: boolean;
  /** Called once when all slots are busy and the caller starts waiting. */
  onWait?: (holders: string) => void;
}

/** Takes the first free slot of `slots`, waiting while all are held by live processes. */
export async function acquireSlot(options: AcquireSlotOptions): Promise<SlotLock> {
  await Deno.mkdir(options.dir, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + (options.timeoutMs ?? 20 * 60_000);
  let warned = false;
  while (true) {
    const holders: string[] = [];
    for (const slot of options.wholePcscd === true ? options.slots.slice(0, 1) : options.slots) {
      const name = options.wholePcscd === true ? "all" : String(slot);
      const path = `${options.dir}/slot.${options.pcscd}.${name}`;
      if (tryCreate(path)) return new SlotLock(slot, path);
      let text: string;
      try {
        text = Deno.readTextFileSync(path).trim();
      } catch {
        continue; // released meanwhile: the next round takes it
      }
      const owner = Number(text);
      // an empty file is a lock being written right now: held
      if (text !== "" && !alive(owner) && takeOver(path, text)) {
        return new SlotLock(slot, path);
      }
      holders.push(`slot ${slot} by PID ${owner}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Cannot get a vpcd slot of the ${options.pcscd} pcscd: ${holders.join(", ")}`,
      );
    }
    if (!warned) options.onWait?.(holders.join(", "));
    warned = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Replaces a crashed run's lock (owner `stale`) with ours. Two runs that both saw the same
 * dead owner must not both take the slot: a remove-then-create by each lets the second
 * remove the first one's fresh lock (CI once ran two profile cells on one slot that way).
 * So the take-over happens under a guard file, and the lock is removed only if it still
 * names the dead owner.
 */
function takeOver(path: string, stale: string): boolean {
  const guard = `${path}.takeover`;
  if (!tryCreate(guard)) {
    // a guard left by a run that died while taking over: old enough to be abandoned
    try {
      const age = Date.now() - (Deno.statSync(guard).mtime?.getTime() ?? 0);
      if (age > 10_000) Deno.removeSync(guard);
    } catch {
      // released meanwhile
    }
    return false;
  }
  try {
    let text = "";
    try {
      text = Deno.readTextFileSync(path).trim();
    } catch {
      // gone meanwhile: free for anyone, us included
    }
    if (text === stale) Deno.removeSync(path);
    return tryCreate(path);
  } finally {
    Deno.removeSync(guard);
  }
}

function tryCreate(path: string): boolean {
  try {
    const f = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
    f.writeSync(new TextEncoder().encode(String(Deno.pid)));
    f.close();
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
}
