/**
 * What `monitor-idle` costs (docs/reliability.md F5b), on the virtual card behind a private
 * pcscd started with `--auto-exit` (tests/bed/private_pcscd.ts, vpcd ports 35973/35974 unless
 * `--port`): scd-ts `--server` with `SCD_TS_MONITOR_IDLE`, driven over Assuan.
 *
 * 1. warm: SERIALNO and SETDATA+PKSIGN with the PIN cached, `--warm` times;
 * 2. released, pcscd stayed up: wait `idle` + 1 s, then the first SERIALNO and PKSIGN
 *    (`--up` rounds);
 * 3. released, pcscd exited: wait until the `--auto-exit` pcscd ends by itself (time measured
 *    from the end of the last command), start it again by hand (systemd's socket would on the
 *    first connect), wait until the card is seen, then the first SERIALNO and PKSIGN
 *    (`--down` rounds).
 *
 * Every PKSIGN's PIN inquiries are counted: after the first, none must come (same card, same
 * cache). Prints the figures; not a test. `deno run -A bench/monitor_idle.ts [--idle 3]
 * [--up 5] [--down 2] [--warm 20] [--port 35973] [--latency openpgp34|nitrokey3]`.
 * @module
 */

import { parseArgs } from "node:util";
import { PrivatePcscd, vpcdPortsFree } from "../tests/bed/private_pcscd.ts";
import { startVcard } from "../tests/bed/vcard.ts";
import { USER_PIN } from "../tests/support/fixtures.ts";
import { AssuanChild } from "./assuan.ts";
import { percentile } from "./stats.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    idle: { type: "string", default: "3" },
    up: { type: "string", default: "5" },
    down: { type: "string", default: "2" },
    warm: { type: "string", default: "20" },
    port: { type: "string", default: "35973" },
    latency: { type: "string", default: "" },
  },
});
const IDLE_S = Number(opts.idle);
const PORT = Number(opts.port);
const READER = "Virtual PCD 00 00";
const CARD = new URL("../tests/testdata/fuzz_card.json", import.meta.url); // RSA-2048 in slot 1

if (!vpcdPortsFree(PORT)) throw new Error(`Cannot run: vpcd port ${PORT} or ${PORT + 1} in use`);
const dir = await Deno.makeTempDir({ prefix: "scd-ts-bench-idle-" });
const pcscd = new PrivatePcscd({ dir: `${dir}/pcscd`, vpcdPort: PORT, autoExit: true });
// this process's own status reads (is the card seen?) go to the private pcscd too
Deno.env.set("PCSCLITE_CSOCK_NAME", pcscd.socket);
const { PcscBackend } = await import("../src/pcsc/mod.ts");

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
const ms = (x: number) => Math.round(x * 10) / 10;
function summary(xs: number[]): string {
  if (xs.length === 0) return "-";
  return `p50 ${ms(percentile(xs, 50))} ms, min ${ms(Math.min(...xs))}, max ${
    ms(Math.max(...xs))
  } (n=${xs.length})`;
}

/** The card is present in the reader as pcscd sees it (short-lived contexts, 100 ms apart). */
async function cardSeen(timeoutMs: number): Promise<number> {
  const t = performance.now();
  const backend = new PcscBackend();
  while (performance.now() - t < timeoutMs) {
    try {
      const s = await backend.readerStates();
      if (s.some((r) => r.reader === READER && r.card === "present")) return performance.now() - t;
    } catch { /* pcscd not answering yet */ }
    await delay(100);
  }
  throw new Error("Cannot see the card within the time");
}

let prompts = 0;
const needPin = (q: string) => {
  if (!q.startsWith("NEEDPIN")) return [];
  prompts++;
  return [`${USER_PIN}%00`];
};
let n = 0;

/** SERIALNO, then SETDATA + PKSIGN: their times and the PIN inquiries of the PKSIGN. */
async function probe(d: AssuanChild) {
  let t = performance.now();
  await d.ok("SERIALNO");
  const serialno = performance.now() - t;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", Uint8Array.of(n++)));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  const before = prompts;
  t = performance.now();
  await d.ok(`SETDATA ${hex.toUpperCase()}`);
  await d.ok("PKSIGN --hash=sha256 OPENPGP.1", needPin);
  return { serialno, pksign: performance.now() - t, prompts: prompts - before };
}

/** Releases the daemon logged (read after it ended: the log file is written in batches). */
async function releasesLogged(log: string): Promise<number> {
  const text = await Deno.readTextFile(log).catch(() => "");
  return text.split("reader monitor stopped").length - 1;
}

const stateFile = `${dir}/card.json`;
await Deno.writeTextFile(stateFile, await Deno.readTextFile(CARD), { mode: 0o600 });
const log = `${dir}/scd-ts.log`;
let daemon: AssuanChild | undefined;
let card: Awaited<ReturnType<typeof startVcard>> | undefined;
try {
  await pcscd.start();
  card = await startVcard({
    port: PORT,
    statePath: stateFile,
    ...(opts.latency ? { args: ["--latency", opts.latency] } : {}),
  });
  console.error(`card seen after ${ms(await cardSeen(20000))} ms`);
  daemon = AssuanChild.spawn(Deno.execPath(), [
    "run",
    "-A",
    new URL("../main.ts", import.meta.url).pathname,
    "--server",
  ], {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: dir,
    GNUPGHOME: dir,
    PCSCLITE_CSOCK_NAME: pcscd.socket,
    SCD_TS_READER: READER,
    SCD_TS_MONITOR_IDLE: `${IDLE_S}s`,
    SCD_TS_LOG: log,
    ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
  });
  await daemon.greeting();
  const first = await probe(daemon);
  console.error(`first signature: ${first.prompts} prompt(s)`);

  const warm = { serialno: [] as number[], pksign: [] as number[], prompts: 0 };
  for (let i = 0; i < Number(opts.warm); i++) {
    const p = await probe(daemon);
    warm.serialno.push(p.serialno);
    warm.pksign.push(p.pksign);
    warm.prompts += p.prompts;
  }

  const up = { serialno: [] as number[], pksign: [] as number[], prompts: 0 };
  for (let i = 0; i < Number(opts.up); i++) {
    await delay(IDLE_S * 1000 + 1000);
    if (!pcscd.running) throw new Error("pcscd exited during the stayed-up rounds");
    const p = await probe(daemon);
    up.serialno.push(p.serialno);
    up.pksign.push(p.pksign);
    up.prompts += p.prompts;
  }

  const down = {
    exitS: [] as number[],
    startMs: [] as number[],
    cardMs: [] as number[],
    serialno: [] as number[],
    pksign: [] as number[],
    prompts: 0,
  };
  for (let i = 0; i < Number(opts.down); i++) {
    const quiet = performance.now(); // the last command ended just now
    while (pcscd.running && performance.now() - quiet < 150_000) await delay(200);
    if (pcscd.running) throw new Error("pcscd did not exit within 150 s of the last command");
    down.exitS.push((performance.now() - quiet) / 1000);
    let t = performance.now();
    await pcscd.start(); // what pcscd.socket does on the first connect
    down.startMs.push(performance.now() - t);
    t = performance.now();
    down.cardMs.push(await cardSeen(20000));
    const p = await probe(daemon);
    down.serialno.push(p.serialno);
    down.pksign.push(p.pksign);
    down.prompts += p.prompts;
  }

  const lines = [
    `monitor-idle ${IDLE_S}s, pcscd --auto-exit, virtual card (openpgp34, latency model ${
      opts.latency || "none"
    }), RSA-2048`,
    `warm (monitor running): SERIALNO ${summary(warm.serialno)}`,
    `                        PKSIGN   ${summary(warm.pksign)}; prompts ${warm.prompts}`,
    `${IDLE_S > 0 ? "released, pcscd up:" : "paused, no release:"}     SERIALNO ${
      summary(up.serialno)
    }`,
    `                        PKSIGN   ${summary(up.pksign)}; prompts ${up.prompts}`,
    `released, pcscd exited: pcscd ended ${
      down.exitS.map((s) => s.toFixed(1)).join(", ")
    } s after the last command`,
    `                        pcscd start to socket ${summary(down.startMs)}`,
    `                        then card seen ${summary(down.cardMs)}`,
    `                        SERIALNO ${summary(down.serialno)}`,
    `                        PKSIGN   ${summary(down.pksign)}; prompts ${down.prompts}`,
  ];
  await daemon.close();
  const releases = await releasesLogged(log);
  lines.push(
    `releases logged ${releases} of ${up.serialno.length + down.serialno.length} idle periods`,
  );
  console.log(lines.join("\n"));
} finally {
  await daemon?.close();
  await card?.stop();
  await pcscd.close();
  if (Deno.env.get("KEEP")) console.error(`kept ${dir}`);
  else await Deno.remove(dir, { recursive: true }).catch(() => {});
}
