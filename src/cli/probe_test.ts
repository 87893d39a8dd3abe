import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { VirtualBackend } from "../pcsc/mod.ts";
import { VirtualCard } from "../virtual/mod.ts";
import { pickReader } from "./backend.ts";
import { readCardInfo } from "./card_info.ts";
import { latency } from "./loop.ts";
import { isUserCommand } from "./mod.ts";
import { runProbe } from "./probe.ts";
import { toHex, utf8 } from "../util/bytes.ts";

Deno.test("latency: nearest-rank p50/p95 and max", () => {
  const samples = Array.from({ length: 100 }, (_, i) => i + 1);
  assertEquals(latency(samples), { p50: 50, p95: 95, max: 100 });
  assertEquals(latency([7]), { p50: 7, p95: 7, max: 7 });
  assertEquals(latency([]), null);
});

Deno.test("pickReader: exact name, else the only substring match, else a clear error", () => {
  const readers = ["Virtual PCD 00 00", "Virtual PCD 00 01", "Yubico YubiKey OTP+FIDO+CCID 00 00"];
  assertEquals(pickReader(readers, "Virtual PCD 00 01"), "Virtual PCD 00 01");
  assertEquals(pickReader(readers, "Yubico"), readers[2]);
  assertThrows(() => pickReader(readers, "Virtual"), /matches several readers/);
  assertThrows(() => pickReader(readers, "Nitrokey"), /No reader matches "Nitrokey"/);
});

Deno.test("user commands are the first word only; gpg-agent's options start the daemon", () => {
  assertEquals(isUserCommand(["probe", "info"]), true);
  assertEquals(isUserCommand(["install"]), true);
  assertEquals(isUserCommand(["--multi-server", "--homedir", "probe"]), false);
  assertEquals(isUserCommand(["--server"]), false);
  assertEquals(isUserCommand([]), false);
});

Deno.test("readCardInfo on a factory-fresh built-in card", async () => {
  const backend = new VirtualBackend(await VirtualCard.open({}));
  const info = await readCardInfo(backend, backend.reader);
  assertEquals(info.specVersion, "3.4");
  assertEquals(info.pinRetries, { user: 3, reset: 0, admin: 3 });
  assertEquals(info.keys.map((k) => [k.slot, k.algorithm, k.fingerprint, k.keygrip]), [
    ["OPENPGP.1", "rsa2048", null, null],
    ["OPENPGP.2", "rsa2048", null, null],
    ["OPENPGP.3", "rsa2048", null, null],
  ]);
  assertEquals([info.cardholder, info.url, info.login, info.kdf], ["", "", "", false]);
});

Deno.test("probe info shows the card's strings with terminal control characters escaped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "scd-ts-probe-" });
  const path = `${dir}/card.json`;
  try {
    await VirtualCard.open({ statePath: path });
    const state = JSON.parse(await Deno.readTextFile(path));
    state.data["5B"] = toHex(utf8("Eve\x1b]0;owned\x07<<"));
    state.data["5F50"] = toHex(utf8("https://x.example/\x1b[1A\x1b[2K"));
    state.data["5E"] = toHex(utf8("\u009b31mred"));
    await Deno.writeTextFile(path, JSON.stringify(state));
    const printed: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => printed.push(args.join(" "));
    try {
      assertEquals(await runProbe(["info", "--reader", `virtual:${path}`]), 0);
    } finally {
      console.log = log;
    }
    const text = printed.join("\n");
    // deno-lint-ignore no-control-regex
    assertEquals(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(text), false, JSON.stringify(text));
    for (const shown of ["Eve\\x1b]0;owned\\x07", "/\\x1b[1A\\x1b[2K", "\\x9b31mred"]) {
      assertEquals(text.includes(shown), true, `${shown} in ${JSON.stringify(text)}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
