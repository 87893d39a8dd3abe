/**
 * The integration tests' sessions driven by the scripted gpg-agent of
 * tests/support/scripted_agent.ts, and the card set-up steps they share (GENKEY, keygrips).
 * @module
 */

import { type Answer, type Reply, runScripted } from "../support/scripted_agent.ts";
import { TestClient } from "../support/assuan_client.ts";
import { ADMIN_PIN } from "../support/fixtures.ts";
import { HELLO, type ScdServer, type SessionOptions } from "../../src/scd/mod.ts";
import { ScdFixture, Session } from "./_scd_fixture.ts";
import type { VirtualCardOptions } from "../../src/virtual/mod.ts";

export { type Answer, pinReply, type Reply, scdErr } from "../support/scripted_agent.ts";

/**
 * Run `line` on `session`; `answers` maps an inquiry keyword to its answers (consumed in
 * order; NEEDPIN strings are padded like gpg-agent's). Unanswered inquiries are cancelled.
 */
export function run(
  session: Session,
  line: string,
  answers: Record<string, Answer[]> = {},
): Promise<Reply> {
  return runScripted(session.client, line, answers);
}

export { ADMIN_PIN, USER_PIN } from "../support/fixtures.ts";

/** GENKEY --force --algo=ALGO in slot `n` with the Admin PIN; returns the reply. */
export async function genkey(session: Session, n: 1 | 2 | 3, algo: string): Promise<Reply> {
  const r = await run(session, `GENKEY --force --timestamp=20240101T000000 --algo=${algo} ${n}`, {
    // stock asks again after --algo changed the slot's attributes
    NEEDPIN: [ADMIN_PIN, ADMIN_PIN],
  });
  if (r.err !== undefined) throw new Error(`Cannot generate ${algo} in ${n}: ${r.end}`);
  return r;
}

/** The keygrip of `OPENPGP.n` from KEYINFO --list. */
export async function keygripOf(session: Session, n: 1 | 2 | 3): Promise<string> {
  const r = await run(session, "KEYINFO --list");
  const line = r.status.find((s) => s.split(" ")[4] === `OPENPGP.${n}`);
  if (!line) throw new Error(`Cannot find OPENPGP.${n} in ${r.status.join("; ")}`);
  return line.split(" ")[1]!;
}

/** A fresh session on `f` that already did SERIALNO. */
export async function connect(f: Pick<ScdFixture, "connect">): Promise<Session> {
  const s = await f.connect();
  const r = await run(s, "SERIALNO");
  if (r.err !== undefined) throw new Error(`Cannot select the card: ${r.end}`);
  return s;
}

/**
 * Runs `fn` on a fresh fixture (a virtual card with `card`'s options) with one session that
 * did SERIALNO; closes both after.
 */
export async function withCard(
  fn: (s: Session, f: ScdFixture) => Promise<void>,
  card: VirtualCardOptions = {},
): Promise<void> {
  const f = await ScdFixture.open(card);
  const s = await connect(f);
  try {
    await fn(s, f);
  } finally {
    await s.close();
    await f.close();
  }
}

/** A session on any `server` (for daemons built differently from the fixture's). */
export async function serverSession(
  server: ScdServer,
  options: SessionOptions = {},
): Promise<Session> {
  const client = new TestClient();
  const end = server.serve(client.server, options);
  const hello = await client.line();
  if (hello !== `OK ${HELLO}`) throw new Error(`Cannot connect: greeting was ${hello}`);
  return new Session(client, end);
}
