/**
 * session-bind@openssh.com through the in-process agent on the virtual card: binds signed by
 * real host keys (node:crypto), each on one kept-open connection as ssh uses it, and
 * `refuseForwarded` (`--refuse-forwarded`) refusing signatures on forwarded connections only.
 * A real ssh login (OpenSSH sends the bind) is tests/e2e/ssh_agent_test.ts.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { sshString } from "../../src/formats/mod.ts";
import { concat, uintBE, utf8 } from "../../src/util/bytes.ts";
import { hostKey, sessionBindBody } from "../support/ssh_host_key.ts";
import { USER_PIN } from "./_scd_client.ts";
import { addCard, type Bed, FAILURE, identities, SUCCESS, withAgent } from "./_ssh_agent_bed.ts";

const MESSAGE = utf8("ssh userauth request to sign");
const SIGN_RESPONSE = 14;
const OK = SUCCESS[0]!;
const NO = FAILURE[0]!;

/** Binds on one connection, then one signature there; the replies' first bytes. */
async function bindThenSign(b: Bed, binds: Uint8Array[]): Promise<number[]> {
  const [id] = await identities(b);
  using s = await b.session();
  const out: number[] = [];
  for (const bind of binds) out.push((await s.request(bind))[0]!);
  const body = concat(Uint8Array.of(13), sshString(id!.blob), sshString(MESSAGE), uintBE(0, 4));
  out.push((await s.request(body))[0]!);
  return out;
}

const SID_A = new Uint8Array(32).fill(0xa1);
const SID_B = new Uint8Array(48).fill(0xb2);

Deno.test("session-bind: verified binds are accepted, a forged one refused; all still sign by default", async () => {
  const host = hostKey("ecdsa-sha2-nistp256");
  const jump = hostKey("ssh-rsa");
  await withAgent(async (b) => {
    assertEquals(await b.request(addCard("", USER_PIN)), SUCCESS);
    const forged = sessionBindBody(host, SID_A, false, jump.sign(SID_A));
    // a forwarded connection (first hop, then the far side's own login), and a forged bind:
    // without the option OpenSSH's ssh-agent signs with unconstrained keys on all of them
    assertEquals(
      await bindThenSign(b, [
        sessionBindBody(jump, SID_A, true),
        sessionBindBody(host, SID_B, false),
      ]),
      [OK, OK, SIGN_RESPONSE],
    );
    assertEquals(await bindThenSign(b, [forged]), [NO, SIGN_RESPONSE]);
  }, "ed25519");
});

Deno.test("session-bind with refuseForwarded: a forwarded or unverifiable connection signs nothing", async () => {
  const host = hostKey("ssh-ed25519");
  const jump = hostKey("ecdsa-sha2-nistp384");
  await withAgent(
    async (b) => {
      assertEquals(await b.request(addCard("", USER_PIN)), SUCCESS);
      // a local login: bound for authentication, signs
      assertEquals(await bindThenSign(b, [sessionBindBody(host, SID_A, false)]), [
        OK,
        SIGN_RESPONSE,
      ]);
      // no bind at all (ssh-keygen -Y sign, git): signs
      assertEquals(await bindThenSign(b, []), [SIGN_RESPONSE]);
      // ssh -A's forwarded channel, with and without the far side's own bind: refused
      assertEquals(await bindThenSign(b, [sessionBindBody(jump, SID_A, true)]), [OK, NO]);
      assertEquals(
        await bindThenSign(b, [
          sessionBindBody(jump, SID_A, true),
          sessionBindBody(host, SID_B, false),
        ]),
        [OK, OK, NO],
      );
      // a bind that fails verification leaves where the request comes from unknown: refused
      const forged = sessionBindBody(host, SID_A, false, jump.sign(SID_A));
      assertEquals(await bindThenSign(b, [forged]), [NO, NO]);
      // the refusal is per connection: the next local login signs
      assertEquals(await bindThenSign(b, [sessionBindBody(host, SID_B, false)]), [
        OK,
        SIGN_RESPONSE,
      ]);
    },
    "nistp256",
    { refuseForwarded: true },
  );
});
