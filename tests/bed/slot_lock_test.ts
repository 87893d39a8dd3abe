import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { alive } from "./procs.ts";
import { acquireSlot } from "./slot_lock.ts";

/** A PID no process has: counted down from the largest the kernel can hand out (2^22). */
function deadPid(): number {
  let pid = 4_194_303;
  while (alive(pid)) pid--;
  return pid;
}

Deno.test("a crashed run's lock is taken over, a live run's lock is not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/slot.host.0`, String(deadPid()));
    await Deno.writeTextFile(`${dir}/slot.host.1`, "1"); // init: alive
    const lock = await acquireSlot({ dir, pcscd: "host", slots: [1, 0], timeoutMs: 2000 });
    assertEquals(lock.slot, 0);
    assertEquals(await Deno.readTextFile(`${dir}/slot.host.0`), String(Deno.pid));
    assertEquals(await Deno.readTextFile(`${dir}/slot.host.1`), "1");
    lock.releaseSync();
    assertEquals(await Array.fromAsync(Deno.readDir(dir)).then((e) => e.length), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
