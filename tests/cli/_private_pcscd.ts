/**
 * The CLI tests' own pcscd (tests/bed/private_pcscd.ts), so that doctor's "pcscd stopped" and
 * "no reader" can be shown without touching the machine's pcscd (never ours to stop). With
 * `start({ vpcd: true })` it loads vsmartcard's driver on ports 35969/35970 (reserved by
 * .ci/loopback_quickack.sh and used by no other suite); with `vpcd: false` it has no reader.
 * @module
 */
import { PrivatePcscd, privatePcscdSocket } from "../bed/private_pcscd.ts";

/** First vpcd port of this pcscd. */
export const CLI_VPCD_PORT = 35969;
/** Its first reader. */
export const CLI_READER = "Virtual PCD 00 00";

const DIR = `/tmp/scd-ts-cli-pcscd-${Deno.pid}`;

/** The CLI tests' pcscd; `--auto-exit` ends an orphan of a killed run. */
export class CliPcscd extends PrivatePcscd {
  constructor() {
    super({ dir: DIR, vpcdPort: CLI_VPCD_PORT, autoExit: true });
  }
}

/** The socket clients use (PCSCLITE_CSOCK_NAME). */
export const CLI_SOCKET = privatePcscdSocket(DIR);
