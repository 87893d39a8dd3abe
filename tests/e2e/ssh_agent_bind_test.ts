/**
 * session-bind@openssh.com through real OpenSSH 9.2 (issue 22): ssh binds every agent
 * connection it uses to its session, signed by sshd's host key, and the agent verifies it —
 * for Ed25519, ECDSA P-256/384/521 and RSA host keys a login still works with
 * `--refuse-forwarded` (a bind that failed would make that agent refuse). Then ssh -A to
 * sshd on 127.0.0.1 and, inside that session, a second ssh through the forwarded agent:
 * refused with `--refuse-forwarded`, logged in without it. Runs in the agent's one matrix
 * cell (_ssh_agent.ts says why).
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { type CardContext, cardTest, userPin } from "./_fixture.ts";
import { generateOnCard } from "./_workflows.ts";
import {
  type Agent,
  AGENT_CELL,
  exportedKey,
  sshArgs,
  sshLogin,
  startAgent,
  startSshd,
} from "./_ssh_agent.ts";

/**
 * The log lines matching `re` in the home's scd-ts.log (the home's scd-ts.conf names it, so
 * the agent logs there; only the agent writes these lines).
 */
async function logged(c: CardContext, re: RegExp): Promise<string[]> {
  const text = await Deno.readTextFile(`${c.home.path}/scd-ts.log`).catch(() => "");
  return text.split("\n").filter((l) => re.test(l));
}

/** ssh -A to sshd, and from inside that session ssh to the same sshd again. */
async function twoHops(c: CardContext, agent: Agent, key: string) {
  const sshd = await startSshd(key);
  try {
    const inner = ["ssh", ...sshArgs(sshd, ["echo", "second-hop"])].join(" ");
    return await c.run("ssh", sshArgs(sshd, [inner], ["-A"]), { env: agent.env });
  } finally {
    await sshd.stop();
  }
}

cardTest(
  "ssh-agent: session-bind verified for each host key type; --refuse-forwarded refuses ssh -A's second hop",
  async (c) => {
    const keys = await generateOnCard(c);
    const key = await exportedKey(c, keys.auth);
    await c.restartAgent();
    await c.pins([userPin(), userPin()]); // one per agent process below
    let agent = await startAgent(c, { args: ["--refuse-forwarded"] });
    try {
      const hostKeys = [
        { type: "ed25519" },
        { type: "ecdsa", bits: 256 },
        { type: "ecdsa", bits: 384 },
        { type: "ecdsa", bits: 521 },
        { type: "rsa", bits: 3072 },
      ];
      for (const hostKey of hostKeys) {
        const sshd = await startSshd(key, hostKey);
        try {
          const login = await sshLogin(c, agent, sshd);
          assertEquals(login.code, 0, `${JSON.stringify(hostKey)}: ${login.stderr}`);
        } finally {
          await sshd.stop();
        }
      }
      const refused = await twoHops(c, agent, key);
      assert(refused.code !== 0, refused.stdout + refused.stderr);
      assert(!refused.stdout.includes("second-hop"), refused.stdout);
      // the log is complete once the agent ended
      await agent.stop();
      assertEquals(await logged(c, /session-bind refused/), []);
      const recorded = await logged(c, /session-bind recorded \(forwarding false\)/);
      assert(recorded.length >= hostKeys.length, recorded.join("\n"));
      assert((await logged(c, /session-bind recorded \(forwarding true\)/)).length > 0);
      const refusals = /Refused to sign: the request comes through a forwarded/;
      assertEquals((await logged(c, refusals)).length, 1);

      // the same without the option: the forwarded agent signs the second hop's login
      agent = await startAgent(c);
      const allowed = await twoHops(c, agent, key);
      assertEquals(allowed.code, 0, allowed.stderr);
      assertMatch(allowed.stdout, /second-hop/);
      await agent.stop();
      assertEquals((await logged(c, refusals)).length, 1, "no refusal without the option");
    } catch (e) {
      const log = await Deno.readTextFile(`${c.home.path}/scd-ts.log`).catch(() => "");
      console.error(`--- scd-ts.log\n${log.split("\n").slice(-40).join("\n")}`);
      throw e;
    } finally {
      await agent.stop();
    }
  },
  AGENT_CELL ? {} : { ignore: true },
);
