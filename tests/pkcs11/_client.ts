/**
 * A gpg-agent stand-in for the in-process daemon of the PKCS#11 tests: one command, its
 * NEEDPIN inquiries answered from a list (PIN + NUL padding to 90 bytes, as gpg-agent sends),
 * the PIN pad prompts (POPUPPINPADPROMPT, DISMISSPINPADPROMPT) with an empty answer as
 * gpg-agent gives once it showed or closed them, any other inquiry cancelled. (tests/integration has a fuller one, private to that folder.)
 * @module
 */

import { escapeData, unescapeData } from "../../src/assuan/mod.ts";
import type { TestClient } from "../support/assuan_client.ts";
import { concat } from "../../src/util/bytes.ts";

/** What one command produced. */
export interface Reply {
  status: string[];
  inquiries: string[];
  data: Uint8Array;
  end: string;
  /** The ERR code, else undefined. */
  err: number | undefined;
}

/** Run `line`; NEEDPIN inquiries take `pins` in order (none left: CAN). */
export async function run(client: TestClient, line: string, pins: string[] = []): Promise<Reply> {
  const reply: Reply = {
    status: [],
    inquiries: [],
    data: new Uint8Array(),
    end: "",
    err: undefined,
  };
  const chunks: Uint8Array[] = [];
  await client.send(line);
  for (;;) {
    const bytes = await client.lineBytes();
    if (bytes[0] === 0x44 && bytes[1] === 0x20) {
      chunks.push(unescapeData(bytes.subarray(2)));
      continue;
    }
    const text = new TextDecoder().decode(bytes);
    if (text.startsWith("S ")) reply.status.push(text.slice(2));
    else if (text.startsWith("INQUIRE ")) {
      reply.inquiries.push(text.slice(8));
      if (/^INQUIRE (POPUP|DISMISS)PINPADPROMPT( |$)/.test(text)) {
        await client.send("END");
        continue;
      }
      const pin = text.startsWith("INQUIRE NEEDPIN ") ? pins.shift() : undefined;
      if (pin === undefined) {
        await client.send("CAN");
        continue;
      }
      const padded = new Uint8Array(90);
      padded.set(new TextEncoder().encode(pin));
      await client.sendRaw(
        concat(new TextEncoder().encode("D "), escapeData(padded), Uint8Array.of(10)),
      );
      await client.send("END");
    } else if (/^(OK|ERR)( |$)/.test(text)) {
      reply.end = text;
      reply.err = text.startsWith("ERR ") ? Number(text.split(" ")[1]) : undefined;
      reply.data = concat(...chunks);
      return reply;
    }
  }
}

/** The ERR number of gpg-error `code` with source SCD. */
export function scdErr(code: number): number {
  return (6 << 24) | code;
}
