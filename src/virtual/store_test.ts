import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { CardStore } from "./store.ts";

function inTempDir(fn: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "vcard-store-test-" });
  try {
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("CardStore.save() writes the state file 0600 and leaves no temporary file", () => {
  inTempDir((dir) => {
    const store = CardStore.open({ path: `${dir}/card.json` });
    store.state.signatureCounter = 7;
    store.save();
    // 0644 under the usual umask 022 before issue 17 L3
    assertEquals(Deno.statSync(`${dir}/card.json`).mode! & 0o777, 0o600);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["card.json"]);
    assertEquals(CardStore.open({ path: `${dir}/card.json` }).state.signatureCounter, 7);
  });
});

Deno.test("CardStore.save() never writes through a planted STATEFILE.tmp symlink", () => {
  inTempDir((dir) => {
    Deno.writeTextFileSync(`${dir}/victim`, "victim\n");
    Deno.symlinkSync(`${dir}/victim`, `${dir}/card.json.tmp`);
    CardStore.open({ path: `${dir}/card.json` }).save();
    assertEquals(Deno.readTextFileSync(`${dir}/victim`), "victim\n");
    assertEquals(Deno.lstatSync(`${dir}/card.json`).isFile, true);
  });
});

Deno.test("CardStore.open() refuses a state file group or others can read or write", () => {
  inTempDir((dir) => {
    const path = `${dir}/card.json`;
    CardStore.open({ path });
    for (const mode of [0o640, 0o604, 0o620, 0o602]) {
      Deno.chmodSync(path, mode);
      assertThrows(
        () => CardStore.open({ path }),
        new RegExp(`group or others may read or write it \\(mode ${mode.toString(8)}\\)`),
      );
    }
    Deno.chmodSync(path, 0o600);
    CardStore.open({ path });
  });
});
