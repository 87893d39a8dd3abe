/**
 * A gpg-agent stand-in for the in-process daemon of the PKCS#11 tests: one command, its
 * NEEDPIN inquiries answered from a list (tests/support/scripted_agent.ts), any other inquiry
 * cancelled.
 * @module
 */

import type { TestClient } from "../support/assuan_client.ts";
import { type Reply, runScripted } from "../support/scripted_agent.ts";

export { type Reply, scdErr } from "../support/scripted_agent.ts";

/** Run `line`; NEEDPIN inquiries take `pins` in order (none left: CAN). */
export function run(client: TestClient, line: string, pins: string[] = []): Promise<Reply> {
  return runScripted(client, line, { NEEDPIN: pins });
}
