/**
 * `scd-ts ssh-agent` through real OpenSSH on the virtual card behind real pcscd (issue 22):
 * `ssh-add -L` lists the card's authentication key as gpg-agent does, `ssh` logs in to a
 * real sshd on 127.0.0.1, `ssh-keygen -Y sign` signatures verify, `git commit -S` with
 * gpg.format ssh verifies in `git log --show-signature` — per key type; `ssh-add -s` with a
 * wrong then the right PIN, `-e`, `-x`/`-X`; and a signature while gpg signs through
 * gpg-agent + scd-ts on the same card. Runs in one matrix cell (_ssh_agent.ts says why).
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import {
  type CardContext,
  cardTest,
  type CardTestOptions,
  type Need,
  userPin,
} from "./_fixture.ts";
import { adminPin, READER } from "./_fixture.ts";
import { field } from "./_card_status.ts";
import { needsFor } from "./_needs.ts";
import { clearsign, generateOnCard } from "./_workflows.ts";
import {
  type Agent,
  AGENT_CELL,
  askpass,
  DENO_DIR,
  exportedKey,
  listed,
  type Sshd,
  sshLogin,
  startAgent,
  startSshd,
} from "./_ssh_agent.ts";

function agentTest(
  name: string,
  fn: (c: CardContext) => Promise<void>,
  needs: readonly Need[] = [],
): void {
  const options: CardTestOptions = { needs, ...(AGENT_CELL ? {} : { ignore: true }) };
  cardTest(`ssh-agent: ${name}`, fn, options);
}

/** Sets all three key attributes with gpg --card-edit key-attr (answers as algorithms_test). */
async function keyAttributes(c: CardContext, answers: Record<string, string>, shown: string) {
  await c.pins([adminPin(), adminPin(), adminPin()]);
  const r = await c.interact(["--expert", "--card-edit"], {
    "cardedit.prompt": ["admin", "key-attr", "quit"],
    ...answers,
  });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(field(await c.cardStatus(), "Key attributes"), shown);
}

async function withAgentAndSshd(
  c: CardContext,
  key: string,
  fn: (agent: Agent, sshd: Sshd) => Promise<void>,
): Promise<void> {
  const agent = await startAgent(c);
  let sshd: Sshd | undefined;
  try {
    sshd = await startSshd(key);
    await fn(agent, sshd);
    // SIGTERM: a clean exit that removes the socket
    await agent.stop();
    assertEquals((await agent.proc.status).code, 0);
    assertEquals(await Deno.stat(agent.sock).then(() => "left", () => "removed"), "removed");
  } catch (e) {
    console.error(`--- ssh-agent output\n${agent.proc.output().split("\n").slice(-40).join("\n")}`);
    throw e;
  } finally {
    await sshd?.stop();
    await agent.stop();
  }
}

/** ssh-keygen -Y sign through the agent, verified against an allowed_signers file. */
async function signVerify(c: CardContext, agent: Agent, key: string): Promise<void> {
  const pub = await c.file("card.pub", `${key} card\n`);
  const signers = await c.file("allowed_signers", `card@example.org ${key}\n`);
  const data = await c.file("message.txt", "signed through scd-ts ssh-agent\n");
  await Deno.remove(`${data}.sig`).catch(() => {});
  const signed = await c.run("ssh-keygen", ["-Y", "sign", "-f", pub, "-n", "file", data], {
    env: agent.env,
  });
  assertEquals(signed.code, 0, signed.stderr);
  const verify = (stdin: string) =>
    c.run("ssh-keygen", [
      ...["-Y", "verify", "-f", signers, "-I", "card@example.org", "-n", "file"],
      ...["-s", `${data}.sig`],
    ], { stdin });
  const ok = await verify("signed through scd-ts ssh-agent\n");
  assertEquals(ok.code, 0, ok.stderr + ok.stdout);
  assertMatch(ok.stdout + ok.stderr, /Good "file" signature for card@example.org/);
  assert((await verify("other data\n")).code !== 0, "other data must not verify");
}

/** git commit -S with gpg.format ssh and the card key, then git log --show-signature. */
async function gitSignedCommit(c: CardContext, agent: Agent, key: string): Promise<void> {
  const repo = `${c.home.path}/repo`;
  await Deno.mkdir(repo, { recursive: true });
  const signers = await c.file("git_signers", `card@example.org ${key}\n`);
  const git = (...args: string[]) =>
    c.run("git", [
      ...["-C", repo, "-c", "user.name=Card Tester", "-c", "user.email=card@example.org"],
      ...["-c", "gpg.format=ssh", "-c", `user.signingkey=key::${key}`],
      ...["-c", `gpg.ssh.allowedSignersFile=${signers}`],
      ...args,
    ], { env: agent.env });
  assertEquals((await git("init", "-q")).code, 0);
  await Deno.writeTextFile(`${repo}/file.txt`, "content\n");
  assertEquals((await git("add", "file.txt")).code, 0);
  const commit = await git("commit", "-q", "-S", "-m", "signed by the card");
  assertEquals(commit.code, 0, commit.stderr);
  const log = await git("log", "--show-signature", "-1");
  assertEquals(log.code, 0, log.stderr);
  assertMatch(log.stdout + log.stderr, /Good "git" signature for card@example.org/);
}

/** The full round for one key type, from fresh keys on the card. */
async function allWorkflows(
  c: CardContext,
  type: RegExp,
  given?: Awaited<ReturnType<typeof generateOnCard>>,
): Promise<void> {
  const keys = given ?? await generateOnCard(c);
  const key = await exportedKey(c, keys.auth);
  assertMatch(key.split(" ")[0]!, type);
  await withAgentAndSshd(c, key, async (agent, sshd) => {
    const lines = await listed(c, agent);
    assertEquals(lines.length, 1, lines.join("\n"));
    assertEquals(lines[0]!.split(" ").slice(0, 2).join(" "), key);
    // one PIN entry for all that follows: the agent caches what the card accepted
    await c.pins([userPin()]);
    const login = await sshLogin(c, agent, sshd);
    assertEquals(login.code, 0, login.stderr);
    assertEquals(login.stdout.trim(), "logged-in");
    await signVerify(c, agent, key);
    await gitSignedCommit(c, agent, key);
    const prompts = await c.prompts();
    assertEquals(prompts.length, 1, JSON.stringify(prompts));
    assertMatch(prompts[0]!.desc ?? "", new RegExp(c.serial));
  });
}

agentTest(
  "RSA 2048: ssh-add -L as gpg-agent lists it, ssh login, ssh-keygen -Y, git -S",
  async (c) => {
    const keys = await generateOnCard(c);
    const key = await exportedKey(c, keys.auth);
    // gpg-agent's own listing is the oracle for the comment (cardno:<$DISPSERIALNO>)
    const sock = (await c.run("gpgconf", ["--list-dirs", "agent-ssh-socket"])).stdout.trim();
    await c.run("gpg-connect-agent", ["/bye"]);
    const theirs = await c.run("ssh-add", ["-L"], { env: { SSH_AUTH_SOCK: sock } });
    const gpgLine = theirs.stdout.split("\n").find((l) => l.startsWith(key));
    assert(gpgLine !== undefined, theirs.stdout + theirs.stderr);
    await withAgentAndSshd(c, key, async (agent) => {
      assertEquals(await listed(c, agent), [gpgLine]);
    });
    await c.restartAgent();
    await allWorkflows(c, /^ssh-rsa$/, keys);

    // started as ssh-agent is: eval "$(…)" returns, the agent runs detached, lists the key; a
    // second start on the same socket refuses; SSH_AGENT_PID ends it
    const main = Deno.env.get("SCD_E2E_SCD_TS_MAIN") ??
      new URL("../../main.ts", import.meta.url).pathname;
    const evalSock = `${c.home.path}/eval.sock`;
    const start = `'${Deno.execPath()}' run -A --quiet '${main}' ssh-agent -a '${evalSock}'`;
    const script = [
      `out=$(${start}) || exit 9`,
      'eval "$out"',
      "ssh-add -L",
      `${start} && echo started-twice`,
      'kill "$SSH_AGENT_PID"',
    ].join("\n");
    const shell = await c.run("sh", ["-c", script], {
      env: { SCD_TS_READER: READER, DENO_DIR },
    });
    assertEquals(shell.code, 0, shell.stderr);
    assertMatch(shell.stdout, /^Agent pid \d+\n/);
    assert(shell.stdout.includes(`\n${key} cardno:`), shell.stdout);
    assert(!shell.stdout.includes("started-twice"), shell.stdout);
    assertMatch(shell.stderr, /another agent is serving it/);
  },
);

for (
  const [name, answers, shown, type] of [
    [
      "nistp256",
      { "cardedit.genkeys.algo": "2", "keygen.curve": "3" },
      "nistp256",
      "ecdsa-sha2-nistp256",
    ],
    [
      "nistp384",
      { "cardedit.genkeys.algo": "2", "keygen.curve": "4" },
      "nistp384",
      "ecdsa-sha2-nistp384",
    ],
    [
      "nistp521",
      { "cardedit.genkeys.algo": "2", "keygen.curve": "5" },
      "nistp521",
      "ecdsa-sha2-nistp521",
    ],
    ["ed25519", { "cardedit.genkeys.algo": "2", "keygen.curve": "1" }, "ed25519", "ssh-ed25519"],
    [
      "rsa4096",
      { "cardedit.genkeys.algo": "1", "cardedit.genkeys.size": "4096" },
      "rsa4096",
      "ssh-rsa",
    ],
  ] as const
) {
  agentTest(`${name}: ssh login, ssh-keygen -Y sign/verify, git commit -S`, async (c) => {
    const attrs = name === "ed25519" ? "ed25519 cv25519 ed25519" : `${shown} ${shown} ${shown}`;
    await keyAttributes(c, answers, attrs);
    await allWorkflows(c, new RegExp(`^${type}$`));
  }, needsFor(name === "ed25519" ? "ed25519/cv25519" : name));
}

agentTest(
  "ssh-add -s: a wrong PIN spends one try, the right one is cached; -e; -x/-X",
  async (c) => {
    const keys = await generateOnCard(c);
    const key = await exportedKey(c, keys.auth);
    await c.restartAgent(); // gpg-agent and its scd-ts hold no verification of their own
    const tries = async () => field(await c.cardStatus(), "PIN retry counter");
    assertEquals(await tries(), "3 0 3");
    await withAgentAndSshd(c, key, async (agent, sshd) => {
      await c.pins([]); // no pinentry answer: only ssh-add -s may supply the PIN
      const add = async (pin: string, ...args: string[]) =>
        await c.run("ssh-add", [...args, "-s", c.serial], {
          env: { ...agent.env, ...(await askpass(c, pin)) },
        });
      const wrong = await add("999999");
      assert(wrong.code !== 0, wrong.stdout + wrong.stderr);
      assertEquals(await tries(), "2 0 3");
      const right = await add("123456", "-t", "600");
      assertEquals(right.code, 0, right.stdout + right.stderr);
      assertMatch(right.stdout + right.stderr, /Card added/);
      assertEquals(await tries(), "3 0 3");
      assertEquals((await sshLogin(c, agent, sshd)).code, 0);
      await signVerify(c, agent, key);
      assertEquals((await c.prompts()).length, 0, "no pinentry: the cached PIN answered");

      // -e forgets the PIN: the pinentry is asked (and cancels: exhausted), the login fails
      const removed = await c.run("ssh-add", ["-e", c.serial], { env: agent.env });
      assertEquals(removed.code, 0, removed.stdout + removed.stderr);
      assert((await sshLogin(c, agent, sshd)).code !== 0);
      assertEquals((await c.prompts()).length, 1);
      assertEquals(await tries(), "3 0 3", "a cancelled entry sends nothing to the card");

      // lock: nothing listed, nothing signed; a wrong passphrase does not unlock
      await c.pins([userPin()]);
      const lock = await c.run("ssh-add", ["-x"], {
        env: { ...agent.env, ...(await askpass(c, "pw")) },
      });
      assertEquals(lock.code, 0, lock.stderr);
      const none = await c.run("ssh-add", ["-L"], { env: agent.env });
      assert(none.code !== 0 && /no identities/.test(none.stdout + none.stderr), none.stdout);
      assert((await sshLogin(c, agent, sshd)).code !== 0);
      const bad = await c.run("ssh-add", ["-X"], {
        env: { ...agent.env, ...(await askpass(c, "no")) },
      });
      assert(bad.code !== 0);
      const unlock = await c.run("ssh-add", ["-X"], {
        env: { ...agent.env, ...(await askpass(c, "pw")) },
      });
      assertEquals(unlock.code, 0, unlock.stderr);
      assertEquals((await sshLogin(c, agent, sshd)).code, 0);
    });
  },
);

agentTest(
  "coexistence: gpg --clearsign through gpg-agent + scd-ts while the agent signs",
  async (c) => {
    const keys = await generateOnCard(c);
    const key = await exportedKey(c, keys.auth);
    await c.restartAgent();
    await withAgentAndSshd(c, key, async (agent, sshd) => {
      // each agent has its own PIN cache: each asks once
      await c.pins([userPin(), userPin()]);
      const rounds = 3;
      const [gpgOut, sshOut] = await Promise.all([
        (async () => {
          const out: string[] = [];
          for (let i = 0; i < rounds; i++) out.push(await clearsign(c, keys.primary, `msg ${i}\n`));
          return out;
        })(),
        (async () => {
          const out: number[] = [];
          for (let i = 0; i < rounds; i++) out.push((await sshLogin(c, agent, sshd)).code);
          return out;
        })(),
      ]);
      assertEquals(sshOut, [0, 0, 0]);
      for (const signed of gpgOut) assertMatch(signed, /BEGIN PGP SIGNATURE/);
      assertEquals((await c.prompts()).length, 2);
    });
  },
);
