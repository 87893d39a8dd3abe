/**
 * `pin-store keyring` with the real kernel user keyring through keyctl (keyutils; CI installs
 * it, and without it these tests fail under CI and are ignored elsewhere): the store itself,
 * then the in-process agent on the virtual card — a PIN given to one agent answers for a
 * second one started afterwards, a wrong stored PIN is tried once and dropped, `ssh-add -e`
 * and `-D` take the stored PINs away. Each test uses its own key-description prefix.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { sshString } from "../../src/formats/mod.ts";
import { KeyringPinStore } from "../../src/ssh/mod.ts";
import { concat, uintBE, utf8 } from "../../src/util/bytes.ts";
import { agentOver } from "../support/ssh_agent.ts";
import { USER_PIN } from "./_scd_client.ts";
import { addCard, Asked, type Bed, identities, SUCCESS, withAgent } from "./_ssh_agent_bed.ts";

const HAS_KEYCTL = await new Deno.Command("keyctl", { args: ["--version"] }).output()
  .then((r) => r.success, () => false);
if (!HAS_KEYCTL && Deno.env.get("CI")) {
  throw new Error("keyctl not found: CI installs keyutils (.ci/run install_packages)");
}
const ignore = !HAS_KEYCTL;

function prefix(): string {
  return `scd-ts-test:${crypto.randomUUID()}:`;
}

const text = (b: Uint8Array | undefined) => b && new TextDecoder().decode(b);

Deno.test({
  name: "KeyringPinStore: put, get, timeout set, touch, drop and clear in the user keyring",
  ignore,
  async fn() {
    const p = prefix();
    const store = new KeyringPinStore({ ttlSeconds: 600, prefix: p });
    assert(await store.usable());
    assertEquals(await store.get("D2760001240103040006123456780000"), undefined);
    await store.put("D2760001240103040006123456780000", utf8("123456"));
    await store.put("D27600012401030400061111111100000", utf8("654321"));
    assertEquals(text(await store.get("D2760001240103040006123456780000")), "123456");
    await store.put("D2760001240103040006123456780000", utf8("777777"));
    assertEquals(text(await store.get("D2760001240103040006123456780000")), "777777");
    await store.touch("D2760001240103040006123456780000");
    await store.drop("D2760001240103040006123456780000");
    assertEquals(await store.get("D2760001240103040006123456780000"), undefined);
    await store.clear();
    assertEquals(await store.get("D27600012401030400061111111100000"), undefined);
    // the key's timeout is the TTL: with 1 s the kernel expires it (waited for, up to 20 s)
    const short = new KeyringPinStore({ ttlSeconds: 1, prefix: p });
    await short.put("D2760001240103040006999999990000", utf8("123456"));
    let left: Uint8Array | undefined = utf8("x");
    for (let i = 0; i < 100 && left !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 200));
      left = await short.get("D2760001240103040006999999990000");
    }
    assertEquals(left, undefined);
    await short.clear();
    // a keyctl that is not there: not usable, nothing thrown
    assertEquals(
      await new KeyringPinStore({ ttlSeconds: 1, keyctl: "/nonexistent" }).usable(),
      false,
    );
  },
});

async function signOn(agent: ReturnType<typeof agentOver>["agent"], blob: Uint8Array) {
  const body = concat(Uint8Array.of(13), sshString(blob), sshString(utf8("m")), uintBE(0, 4));
  return (await agent.connection().handle(body))[0];
}

Deno.test({
  name: "pin-store keyring: a second agent signs with the stored PIN; a wrong one is tried once",
  ignore,
  async fn() {
    const store = new KeyringPinStore({ ttlSeconds: 600, prefix: prefix() });
    try {
      await withAgent(
        async (b: Bed) => {
          const serial = b.f.cards.cards[0]!.serialNo;
          const [id] = await identities(b);
          assertEquals(await b.request(addCard("", USER_PIN)), SUCCESS);
          await b.agent.close(); // the first agent ends: its memory is wiped, the keyring keeps
          assertEquals(text(await store.get(serial)), USER_PIN);

          const asked = new Asked([USER_PIN]);
          const second = agentOver(b.f.cards, asked, { store }).agent;
          assertEquals(await signOn(second, id!.blob), 14);
          assertEquals(asked.requests.length, 0, "the keyring answered");

          // a wrong stored PIN: sent once (the card had 3 tries), rejected, dropped; the burst
          // hold of the signature before is ended first, or the card would still be verified
          await b.f.cards.cards[0]!.app!.release?.();
          await store.put(serial, utf8("999999"));
          const third = agentOver(b.f.cards, asked, { store }).agent;
          assertEquals(await signOn(third, id!.blob), 5);
          assertEquals(await store.get(serial), undefined);
          assertEquals(asked.requests.length, 0);
          // the next signature asks a person; the right PIN is stored again
          assertEquals(await signOn(third, id!.blob), 14);
          assertEquals(asked.requests.length, 1);
          assertEquals(text(await store.get(serial)), USER_PIN);

          // ssh-add -e and -D take the stored PIN away too
          const rm = concat(Uint8Array.of(21), sshString(""), sshString(""));
          assertEquals(await third.connection().handle(rm), SUCCESS);
          assertEquals(await store.get(serial), undefined);
          await store.put(serial, utf8(USER_PIN));
          assertEquals(await third.connection().handle(Uint8Array.of(19)), SUCCESS);
          assertEquals(await store.get(serial), undefined);
          second.close();
          third.close();
        },
        "nistp256",
        { store },
      );
    } finally {
      await store.clear();
    }
  },
});
