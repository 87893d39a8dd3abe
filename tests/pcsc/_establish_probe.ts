/**
 * Child process for reader_test.ts: tries to establish a PC/SC context and prints the error
 * message (or "established"). The parent points `PCSCLITE_CSOCK_NAME` at a missing socket.
 *
 * @module
 */

import { PcscContext } from "../../src/pcsc/mod.ts";

try {
  await using _ctx = await PcscContext.establish();
  console.log("established");
} catch (e) {
  console.log(e instanceof Error ? e.message : String(e));
}
