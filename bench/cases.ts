/**
 * The measured gpg workflows of one group (configuration × gnupg version × daemon × settings
 * × latency): cold card-status and cold sign (gpg-agent and the daemon freshly started before
 * each run), warm signs in a row, now-and-then signs (an idle gap before each), decrypts,
 * ssh signatures and ssh logins to a real sshd. Each case resets the card's APDU log first
 * and reads it afterwards; wall time is one whole tool process (gpg, ssh-keygen, ssh), never
 * the gap.
 * @module
 */

import { isDefaults, settingsLabel } from "./report.ts";
import type { GnupgHome } from "../tests/bed/gnupghome.ts";
import { spawnCaptured } from "../tests/bed/procs.ts";
import { sshArgs, type Sshd, startSshd } from "../tests/bed/sshd.ts";
import { REPO_ROOT, type Vcard } from "../tests/bed/vcard.ts";
import { type BenchBed, benchCard, benchHome, keyReader, type Template, USER_PIN } from "./bed.ts";
import type { BenchConfig, CaseName, Daemon, Measurement, Settings } from "./report.ts";

/** How many runs of each kind. */
export interface Counts {
  /** Cold runs (agent restart before each) of card-status and sign. */
  cold: number;
  /** Warm signs in a row. */
  warm: number;
  /** Decrypts and ssh signatures. */
  repeat: number;
  /** Now-and-then signs. */
  sparse: number;
  /** The idle gap before each now-and-then sign, ms (longer than the burst hold). */
  gapMs: number;
}

/** One group's identity. */
export interface Group {
  config: BenchConfig;
  daemon: Daemon;
  settings: Settings;
  latency: string;
}

/** The cases each configuration measures (two-cards and pinned: the signatures). */
export const CASES_OF: Readonly<Record<BenchConfig, readonly CaseName[]>> = {
  "default": [
    "cold-card-status",
    "cold-sign",
    "warm-sign",
    "now-and-then",
    "decrypt",
    "ssh-auth",
    "ssh-agent-auth",
    "ssh-login",
    "ssh-agent-login",
  ],
  "two-cards": ["cold-sign", "warm-sign", "now-and-then"],
  "pinned": ["cold-card-status", "cold-sign", "warm-sign", "now-and-then"],
};

/** Serial of the other card in the first reader (two-cards): no keys, an OpenPGP card. */
export const OTHER_SERIAL = "BE0C00A0";

/**
 * The scd-ts environment of `settings`: none at all for the defaults (what a user runs),
 * else each option explicitly (0 sets it off).
 */
export function scdTsEnv(settings: Settings): Record<string, string> {
  if (isDefaults(settings)) return {};
  return {
    SCD_TS_PIN_POLICY: settings.policy,
    SCD_TS_POOL_TTL: `${settings.pool_ms}ms`,
    SCD_TS_HOLD: `${settings.hold_ms}ms`,
  };
}

interface Ctx {
  b: BenchBed;
  home: GnupgHome;
  /** Every card in the bed (two-cards: both); the APDU counts are their sum. */
  cards: Vcard[];
  t: Template;
  group: Group;
}

type Step = () => Promise<{ code: number; stderr: string }>;

/** Run `step` `runs` times (after `before` each), timing each and summing the APDU log. */
async function measure(
  c: Ctx,
  name: CaseName,
  runs: number,
  step: Step,
  before: () => Promise<void> = () => Promise.resolve(),
): Promise<Measurement> {
  const wallsMs: number[] = [];
  const apdusByIns: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    await before();
    for (const card of c.cards) await card.control({ cmd: "log-reset" });
    const start = performance.now();
    const r = await step();
    wallsMs.push(performance.now() - start);
    if (r.code !== 0) throw new Error(`Cannot run ${name} (${describe(c.group)}): ${r.stderr}`);
    for (const card of c.cards) {
      const log = await card.apduLog();
      for (const [ins, s] of Object.entries(log.byIns)) {
        apdusByIns[ins] = (apdusByIns[ins] ?? 0) + s.count;
      }
    }
  }
  return {
    config: c.group.config,
    case: name,
    gnupg: c.b.bed.series, // the bench runs 2.2 and 2.4 (2.4.7) only
    latency: c.group.latency,
    daemon: c.group.daemon,
    settings: c.group.settings,
    wallsMs,
    runs,
    apdusByIns,
  };
}

/** A group's label for messages. */
export function describe(g: Group): string {
  const daemon = `${g.daemon}${g.daemon === "scd-ts" ? ` ${settingsLabel(g.settings)}` : ""}`;
  return `${g.config}: ${daemon}, ${g.latency}`;
}

/** Enough PIN answers for `n` prompts (unused ones are harmless). */
async function pins(c: Ctx, n: number): Promise<void> {
  await c.home.pinentry.script(Array.from({ length: n }, () => ({ pin: USER_PIN })));
}

function gpg(c: Ctx, args: string[], stdin?: string): Step {
  return () =>
    c.b.bed.gpg(c.home.path, args, {
      timeoutMs: 180_000,
      ...(stdin === undefined ? {} : { stdin }),
    });
}

function sign(c: Ctx): Step {
  return gpg(c, ["--local-user", c.t.primary, "--clearsign"], "bench message\n");
}

/** gpg-agent's ssh socket in the group's home. */
async function gpgAgentSshSocket(c: Ctx): Promise<string> {
  return (await c.b.bed.run("gpgconf", ["--list-dirs", "agent-ssh-socket"], {
    home: c.home.path,
  })).stdout.trim();
}

/**
 * One whole `ssh` login to `sshd` on 127.0.0.1 with the agent on `socket`, running `true`:
 * key exchange, session-bind (OpenSSH 9.2 binds every agent connection it uses), the
 * publickey query and the one signature the login needs, the session and its close.
 */
function sshLoginStep(c: Ctx, sshd: Sshd, socket: string): Step {
  return async () =>
    await c.b.bed.run("ssh", sshArgs(sshd, ["true"]), {
      home: c.home.path,
      env: { SSH_AUTH_SOCK: socket },
      timeoutMs: 180_000,
    });
}

/**
 * Logins run three times as often as the other repeated cases: a bare OpenSSH login with a
 * software key already takes 0.5–0.9 s here, in two clusters, so five runs leave the p50 to
 * chance (docs/bench.md).
 */
function loginRuns(counts: Counts): number {
  return counts.repeat * 3;
}

async function sshStep(c: Ctx, socket?: string): Promise<Step> {
  const sock = socket ?? await gpgAgentSshSocket(c);
  const data = `${c.home.path}/ssh-message.txt`;
  await Deno.writeTextFile(data, "sign me over ssh\n");
  return async () => {
    await Deno.remove(`${data}.sig`).catch(() => {});
    return await c.b.bed.run("ssh-keygen", ["-Y", "sign", "-f", c.t.sshPub, "-n", "file", data], {
      home: c.home.path,
      env: { SSH_AUTH_SOCK: sock },
      timeoutMs: 180_000,
    });
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The cases of the group's configuration, in order: cold ones first, then the warm ones on
 * a running agent.
 */
async function runCases(c: Ctx, counts: Counts): Promise<Measurement[]> {
  const wanted = new Set(CASES_OF[c.group.config]);
  const restart = () => c.home.killDaemons();
  const out: Measurement[] = [];
  if (wanted.has("cold-card-status")) {
    out.push(
      await measure(c, "cold-card-status", counts.cold, gpg(c, ["--card-status"]), restart),
    );
  }
  out.push(
    await measure(c, "cold-sign", counts.cold, sign(c), async () => {
      await restart();
      await pins(c, 3);
    }),
  );
  await pins(c, counts.warm + counts.sparse + counts.repeat * 2 + 4);
  out.push(await measure(c, "warm-sign", counts.warm, sign(c)));
  out.push(await measure(c, "now-and-then", counts.sparse, sign(c), () => sleep(counts.gapMs)));
  if (wanted.has("decrypt")) {
    out.push(
      await measure(c, "decrypt", counts.repeat, gpg(c, ["--decrypt", c.t.encryptedFile])),
    );
  }
  if (wanted.has("ssh-auth")) {
    out.push(await measure(c, "ssh-auth", counts.repeat, await sshStep(c)));
  }
  const sshd = wanted.has("ssh-login")
    ? await startSshd(await Deno.readTextFile(c.t.sshPub))
    : undefined;
  try {
    if (sshd) {
      const step = sshLoginStep(c, sshd, await gpgAgentSshSocket(c));
      out.push(await measure(c, "ssh-login", loginRuns(counts), step));
    }
    if (wanted.has("ssh-agent-auth") && c.group.daemon === "scd-ts") {
      out.push(...await sshAgentCases(c, counts, sshd));
    }
  } finally {
    await sshd?.stop();
  }
  return out;
}

/**
 * `scd-ts ssh-agent` (issue 22) on the same card and latency model: the same ssh-keygen -Y
 * sign as ssh-auth and (with `sshd`) the same login as ssh-login, through the agent's socket
 * instead of gpg-agent's. Started as a user would (`-D`, nothing pinned, the group's scd-ts
 * settings); its first signature asks the test pinentry once, then the PIN is cached as with
 * gpg-agent.
 */
async function sshAgentCases(c: Ctx, counts: Counts, sshd?: Sshd): Promise<Measurement[]> {
  await c.home.killDaemons(); // gpg-agent's scd-ts holds nothing the agent would meet
  const sock = `${c.home.path}/ssh-agent.sock`;
  const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
  const agent = spawnCaptured(
    Deno.execPath(),
    ["run", "-A", "--quiet", `${REPO_ROOT}/main.ts`, "ssh-agent", "-D", "-a", sock],
    {
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: c.home.path,
        GNUPGHOME: c.home.path,
        DENO_DIR: denoDir,
        ...scdTsEnv(c.group.settings),
      },
    },
  );
  try {
    await agent.waitForLine(/^SSH_AUTH_SOCK=/, 30_000);
    await pins(c, 2);
    const step = await sshStep(c, sock);
    const first = await step(); // the PIN prompt, not measured (ssh-auth's is not either)
    if (first.code !== 0) throw new Error(`Cannot sign through scd-ts ssh-agent: ${first.stderr}`);
    const out = [await measure(c, "ssh-agent-auth", counts.repeat, step)];
    if (sshd) {
      const step = sshLoginStep(c, sshd, sock);
      out.push(await measure(c, "ssh-agent-login", loginRuns(counts), step));
    }
    return out;
  } finally {
    await agent.stop();
  }
}

/**
 * Measure one group: fresh home with the template's keys, fresh copy of the card state in
 * the configuration's reader (two-cards: a fresh card without keys in the first reader too).
 */
export async function runGroup(
  b: BenchBed,
  t: Template,
  group: Group,
  counts: Counts,
): Promise<Measurement[]> {
  const scdEnv = group.daemon === "scd-ts" ? scdTsEnv(group.settings) : {};
  const pinned = group.config === "pinned" ? { pinned: b.reader } : {};
  const home = await benchHome(b, group.daemon, { scdTsEnv: scdEnv, from: t, ...pinned });
  const cards: Vcard[] = [];
  try {
    if (group.config === "two-cards") {
      cards.push(await benchCard(b, home, { serial: OTHER_SERIAL, latency: group.latency }));
    }
    cards.push(
      await benchCard(b, home, {
        serial: t.serial,
        latency: group.latency,
        port: keyReader(b, group.config).port,
        statePath: t.statePath,
      }),
    );
    return await runCases({ b, home, cards, t, group }, counts);
  } finally {
    await home.close();
    for (const card of cards) await card.stop();
  }
}
