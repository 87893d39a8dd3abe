/**
 * ssh through gpg-agent's ssh-agent socket: the card's authentication key is listed by
 * `ssh-add -L`, and `ssh-keygen -Y sign` signs with it (INTERNAL AUTHENTICATE on the card)
 * so that `ssh-keygen -Y verify` accepts the signature.
 */
import { cardTest, CURVE25519 } from "./_fixture.ts";
import { generateOnCard, setEccKeyAttributes, sshSignVerify } from "./_workflows.ts";

cardTest("ssh-add lists the card's RSA auth key and ssh-keygen -Y signs with it", async (c) => {
  const keys = await generateOnCard(c);
  await sshSignVerify(c, keys.auth, /^ssh-rsa$/, "ssh-auth");
});

cardTest("ssh-add lists the card's ed25519 auth key and ssh-keygen -Y signs with it", async (c) => {
  await setEccKeyAttributes(c, "1");
  const keys = await generateOnCard(c);
  await sshSignVerify(c, keys.auth, /^ssh-ed25519$/, "ssh-auth-ed25519");
}, { needs: CURVE25519 });
