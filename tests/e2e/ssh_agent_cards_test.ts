/**
 * `scd-ts ssh-agent` with two cards (issue 22): both vpcd readers hold a card with an
 * authentication key; `ssh-add -L` lists both, each logs in to a real sshd; a card removed
 * and inserted again between two logins is found again (its PIN asked again: the PIN cache
 * is per insertion). One matrix cell, as tests/e2e/ssh_agent_test.ts.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type TwoCards, twoCardTest } from "./_two_cards.ts";
import { AGENT_CELL, listed, type Runner, sshLogin, startAgent, startSshd } from "./_ssh_agent.ts";

const ADMIN_PIN = "12345678";
const USER_PIN = "123456";

function runner(t: TwoCards): Runner {
  return {
    run: (cmd, args, options = {}) =>
      t.bed.run(cmd, args, { ...options, home: t.home.path, timeoutMs: 60000 }),
  };
}

/** GENKEY 3 on the card with `aid` through gpg-agent + scd-ts. */
async function generateAuthKey(t: TwoCards, aid: string): Promise<void> {
  await t.pins([{ pin: ADMIN_PIN, when: "prompt=Admin PIN" }]);
  const out = await t.agent(`SCD SERIALNO --demand=${aid}`, "SCD GENKEY --force 3");
  assert(out.some((l) => l.startsWith("S KEY-CREATED-AT")), out.join("\n"));
}

twoCardTest(
  "ssh-agent: two cards listed and usable; a card removed and inserted again",
  async (t) => {
    for (const aid of t.aids) await generateAuthKey(t, aid);
    await t.restartAgent();
    const r = runner(t);
    const agent = await startAgent(t, { reader: "" });
    try {
      const lines = await listed(r, agent);
      assertEquals(lines.length, 2, lines.join("\n"));
      const comments = lines.map((l) => l.split(" ").slice(2).join(" ")).sort();
      assertEquals(comments, t.serials.map((s) => `cardno:FFFE ${s}`).sort());
      for (const line of lines) {
        const key = line.split(" ").slice(0, 2).join(" ");
        const sshd = await startSshd(key);
        try {
          await t.pins([{ pin: USER_PIN, when: "prompt=PIN " }]);
          const login = await sshLogin(r, agent, sshd);
          assertEquals(login.code, 0, login.stderr);
        } finally {
          await sshd.stop();
        }
      }

      // card B out and in again: listed again after the insertion, its PIN asked afresh
      const keyB = lines.find((l) => l.endsWith(t.serials[1]))!.split(" ").slice(0, 2).join(" ");
      const sshd = await startSshd(keyB);
      try {
        await t.pins([{ pin: USER_PIN, when: "prompt=PIN " }]);
        await t.cards[1].control({ cmd: "remove" });
        await new Promise((res) => setTimeout(res, 1500));
        assertEquals((await listed(r, agent).catch(() => [])).length, 1);
        await t.cards[1].control({ cmd: "insert" });
        await new Promise((res) => setTimeout(res, 1500));
        const login = await sshLogin(r, agent, sshd);
        assertEquals(login.code, 0, login.stderr);
        assertEquals(
          (await t.home.pinentry.prompts()).length,
          1,
          "the reinserted card's PIN is asked again",
        );
      } finally {
        await sshd.stop();
      }
    } catch (e) {
      console.error(
        `--- ssh-agent output\n${agent.proc.output().split("\n").slice(-60).join("\n")}`,
      );
      throw e;
    } finally {
      await agent.stop();
    }
  },
  { ignore: !AGENT_CELL },
);
