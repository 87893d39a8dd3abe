/**
 * M1 of the security review (docs/security.md): a PC/SC failure after the VERIFY must not leave
 * the card verified. scd-ts loads a libpcsclite stand-in (pcsc_fault_shim.c, built here with
 * gcc against the real library) that loses the answer of one PSO:CDS and breaks the handle.
 * That signature fails; another PC/SC client's PSO:CDS without a VERIFY must then get 6982:
 * the transaction ended with a card reset (SCARD_RESET_CARD on its end, or on the disconnect),
 * never with SCARD_LEAVE_CARD. The next signature works with the cached PIN. scd-ts, gnupg 2.2
 * (the shim is built for the host's libpcsclite).
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { REPO_ROOT } from "../../bed/vcard.ts";
import { cardTest, CURVE25519, DAEMON, GNUPG, USER_PIN } from "../_fixture.ts";
import { keepConnected, otherClient } from "../_other_client.ts";
import {
  assertGoodSignature,
  clearsign,
  generateOnCard,
  setEccKeyAttributes,
} from "../_workflows.ts";

const SHIM_DIR = Deno.makeTempDirSync({ prefix: "scd-ts-pcsc-shim-" });
const SHIM = `${SHIM_DIR}/libpcsc-fault.so`;
const TRIGGER = `${SHIM_DIR}/lose-next-pso`;
const PSO_CDS = "002A9E9A20" + "5A".repeat(32) + "00";

async function buildShim(): Promise<void> {
  const out = await new Deno.Command("gcc", {
    args: [
      "-shared",
      "-fPIC",
      "-o",
      SHIM,
      `${REPO_ROOT}/tests/e2e/faults/pcsc_fault_shim.c`,
      "-I/usr/include/PCSC",
      // a dependency even though no symbol of it is named: the loader finds the rest there
      "-Wl,--no-as-needed",
      "-lpcsclite",
      "-ldl",
    ],
    stderr: "piped",
  }).output();
  assert(
    out.success,
    `Cannot build the libpcsclite stand-in: ${new TextDecoder().decode(out.stderr)}`,
  );
}

cardTest(
  "M1: a PSO whose answer is lost at the PC/SC level leaves the card reset, not verified",
  async (c) => {
    await buildShim();
    await setEccKeyAttributes(c, "1");
    const keys = await generateOnCard(c);
    await c.restartAgent();
    await c.pins([{ pin: USER_PIN }]);
    await clearsign(c, keys.primary, "first\n"); // the PIN is cached from here on
    await Deno.writeTextFile(TRIGGER, "");
    // a handle kept open meanwhile: without one, pcscd resets the card for the next client
    // anyway, and the check below could not tell whether scd-ts reset it
    const keeper = await keepConnected(60000);
    try {
      const lost = await c.gpg(["--local-user", keys.primary, "--clearsign"], {
        stdin: "lost\n",
      });
      assert(lost.code !== 0, "the signature whose answer was lost must fail");
      assertEquals(await Deno.stat(TRIGGER).catch(() => undefined), undefined, "shim fired");
      // no SELECT first: selecting the application again would itself drop the verification.
      // A card reset leaves nothing selected (6D00); a left verification signs (9000)
      const other = await otherClient(c, [PSO_CDS]);
      assertEquals(other.code, 0, other.out);
      assertEquals(other.sws, ["6D00"], "another client's PSO after the failed signature");
    } finally {
      await keeper.close();
    }
    const signed = await clearsign(c, keys.primary, "after\n");
    await assertGoodSignature(c, [], keys.primary, signed);
  },
  {
    ignore: DAEMON !== "scd-ts" || GNUPG !== "2.2",
    needs: CURVE25519,
    scdTsEnv: { SCD_TS_PCSC_LIBRARY: SHIM, SCD_FAULT_PSO_TRIGGER: TRIGGER },
  },
);

globalThis.addEventListener("unload", () => Deno.removeSync(SHIM_DIR, { recursive: true }));
