/**
 * Faults in the middle of an operation: a signature whose PSO the virtual card makes slow (its
 * control port's `latency psoMs`), and the fault applied while the card works on it.
 *
 * @module
 */
import type { Vcard } from "../../bed/vcard.ts";
import type { VerifyRecord } from "../../../src/virtual/mod.ts";
import { type CardContext, USER_PIN } from "../_fixture.ts";
import type { CardKeys } from "../_workflows.ts";
import { delay } from "./_faults.ts";

/** The card's VERIFY commands since its last `log-reset`. */
export async function verifies(card: Vcard): Promise<VerifyRecord[]> {
  const r = await card.control({ cmd: "log" });
  return (r.verifies ?? []) as VerifyRecord[];
}

/** VERIFY commands that carried a PIN. */
export function withPin(list: VerifyRecord[]): VerifyRecord[] {
  return list.filter((v) => v.p1 === "00" && v.dataLength > 0);
}

/**
 * Waits until the card is busy with the operation: a VERIFY with a PIN was answered (then the
 * PSO follows at once), or, when the daemon sends none (stock keeps the card verified), APDUs
 * have been arriving for 700 ms. Returns what was seen.
 */
async function cardAtWork(card: Vcard, timeoutMs = 15000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let firstApdu: number | undefined;
  while (Date.now() < deadline) {
    const r = await card.control({ cmd: "log" });
    if (withPin((r.verifies ?? []) as VerifyRecord[]).length > 0) return "verify";
    if (Number(r.total) > 0) firstApdu ??= Date.now();
    if (firstApdu !== undefined && Date.now() - firstApdu > 700) return "apdus";
    await delay(30);
  }
  return "idle";
}

/** What happened to the signature a fault hit. */
export interface InflightOutcome {
  /** "inflight=ok" or "inflight=failed: <gpg's reason>". */
  note: string;
  /** The fault action's own note. */
  actNote: string;
}

/**
 * Clear-signs with the card's PSO taking `psoMs`, runs `act` ~300 ms into the card's work and
 * returns the signature's outcome; the latency is taken away again afterwards.
 */
export async function duringSignature(
  c: CardContext,
  keys: CardKeys,
  act: () => Promise<string>,
  card: Vcard = c.card,
  psoMs = 1500,
): Promise<InflightOutcome> {
  await c.pins([{ pin: USER_PIN }]);
  await card.control({ cmd: "log-reset" });
  await card.control({ cmd: "latency", psoMs });
  try {
    const signing = c.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: "hit\n" });
    const seen = await cardAtWork(card);
    await delay(300);
    const actNote = await act();
    const r = await signing;
    const ok = r.code === 0 && r.status.some((l) => l.startsWith("SIG_CREATED "));
    return {
      note: ok ? "inflight=ok" : `inflight=failed: ${gpgReason(r.stderr)}`,
      actNote: `${actNote} (${seen})`,
    };
  } finally {
    await card.control({ cmd: "latency", psoMs: 0 }).catch(() => {});
  }
}

/** gpg's one-line reason for a failure ("signing failed: Card removed"). */
export function gpgReason(stderr: string): string {
  const line = stderr.split("\n").find((l) => /^gpg: .*failed/.test(l)) ??
    stderr.split("\n").find((l) => l.startsWith("gpg: ")) ?? "no message";
  return line.replace(/^gpg: /, "").slice(0, 120);
}
