/**
 * The PIN provider behind every application call: `INQUIRE NEEDPIN <prompt>` to gpg-agent
 * (gpg/gnupg:scd/command.c `pin_cb`; scdaemon-protocol.md §2.4–2.5). The reply is
 * confidential (redacted in the trace, wiped), must end with a NUL byte, and the PIN is the
 * bytes before the first NUL (gpg-agent pads to 90 bytes). This provider asks every time;
 * the PIN cache (pin_cache.ts) sits in front of it for the commands that use PINs
 * (operation.ts).
 * @module
 */

import type { Connection } from "../assuan/mod.ts";
import type { PinProvider, PinRequest } from "../app/mod.ts";
import { GpgError } from "../gpg_error/mod.ts";

/** Longest NEEDPIN reply accepted (`MAXLEN_PIN`). */
export const MAX_PIN_REPLY = 100;

/** A {@linkcode PinProvider} that asks the client on `conn`. */
export function inquirePinProvider(conn: Connection): PinProvider {
  return {
    async get(request: PinRequest): Promise<Uint8Array> {
      const reply = await conn.inquire("NEEDPIN", request.prompt, {
        confidential: true,
        maxLength: MAX_PIN_REPLY,
      });
      try {
        if (reply.length === 0 || reply[reply.length - 1] !== 0) {
          throw new GpgError("INV_RESPONSE", { description: "PIN reply must end with a NUL" });
        }
        return reply.slice(0, reply.indexOf(0));
      } finally {
        reply.fill(0);
      }
    },
  };
}
