/**
 * ssh through gpg-agent's ssh-agent socket: the card's authentication key is listed by
 * `ssh-add -L`, and `ssh-keygen -Y sign` signs with it (INTERNAL AUTHENTICATE on the card)
 * so that `ssh-keygen -Y verify` accepts the signature.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { type CardContext, cardTest, userPin } from "./_fixture.ts";
import { generateOnCard, setEccKeyAttributes, workflow } from "./_workflows.ts";

async function sshSignVerify(
  c: CardContext,
  authFpr: string,
  keyType: RegExp,
  name: string,
): Promise<void> {
  const sock = (await c.run("gpgconf", ["--list-dirs", "agent-ssh-socket"])).stdout.trim();
  assertMatch(sock, /S\.gpg-agent\.ssh$/);
  const env = { SSH_AUTH_SOCK: sock };
  // gpg's own view of the auth key in ssh format: what ssh-add must list
  const exported = await c.gpg(["--export-ssh-key", `${authFpr}!`]);
  assertEquals(exported.code, 0, exported.stderr);
  const [type, blob] = exported.stdout.trim().split(" ");
  assertMatch(type ?? "", keyType);

  const started = await c.run("gpg-connect-agent", ["/bye"]);
  assertEquals(started.code, 0, started.stderr);
  const listed = await c.run("ssh-add", ["-L"], { env });
  assertEquals(listed.code, 0, listed.stderr + listed.stdout);
  const line = listed.stdout.split("\n").find((l) => l.split(" ")[1] === blob);
  assert(line !== undefined, `ssh-add -L lacks the card key:\n${listed.stdout}`);
  assertMatch(line, new RegExp(`cardno:.*${c.serial}`));

  const pub = await c.file("card_auth.pub", `${type} ${blob} card\n`);
  const signers = await c.file("allowed_signers", `card@example.org ${type} ${blob}\n`);
  const data = await c.file("message.txt", "sign me over ssh\n");
  await Deno.remove(`${data}.sig`).catch(() => {});
  // a fresh agent and daemon: the card must ask for the user PIN for the auth key
  await c.restartAgent();
  await c.run("gpg-connect-agent", ["/bye"]);
  await c.pins([userPin()]);
  const signed = await workflow(
    c,
    name,
    () => c.run("ssh-keygen", ["-Y", "sign", "-f", pub, "-n", "file", data], { env }),
  );
  assertEquals(signed.code, 0, signed.stderr);
  const sig = await Deno.readTextFile(`${data}.sig`);
  assertMatch(sig, /^-----BEGIN SSH SIGNATURE-----/);
  const prompts = await c.prompts();
  assertEquals(prompts.length, 1, JSON.stringify(prompts));
  assertMatch(prompts[0]!.desc ?? "", /Please unlock the card/);
  assertMatch(prompts[0]!.desc ?? "", new RegExp(c.serial));

  const verified = await c.run(
    "ssh-keygen",
    ["-Y", "verify", "-f", signers, "-I", "card@example.org", "-n", "file", "-s", `${data}.sig`],
    { stdin: "sign me over ssh\n" },
  );
  assertEquals(verified.code, 0, verified.stderr + verified.stdout);
  assertMatch(verified.stdout + verified.stderr, /Good "file" signature for card@example.org/);
  const forged = await c.run(
    "ssh-keygen",
    ["-Y", "verify", "-f", signers, "-I", "card@example.org", "-n", "file", "-s", `${data}.sig`],
    { stdin: "something else\n" },
  );
  assert(forged.code !== 0, "a signature over other data must not verify");
}

cardTest("ssh-add lists the card's RSA auth key and ssh-keygen -Y signs with it", async (c) => {
  const keys = await generateOnCard(c);
  await sshSignVerify(c, keys.auth, /^ssh-rsa$/, "ssh-auth");
});

cardTest("ssh-add lists the card's ed25519 auth key and ssh-keygen -Y signs with it", async (c) => {
  await setEccKeyAttributes(c, "1");
  const keys = await generateOnCard(c);
  await sshSignVerify(c, keys.auth, /^ssh-ed25519$/, "ssh-auth-ed25519");
});
