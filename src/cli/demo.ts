/**
 * `deno task demo` (`scd-ts demo [--keep] [--scd-ts PROGRAM]`): scd-ts at work with no
 * hardware. A throwaway GNUPGHOME whose gpg-agent runs scd-ts on the built-in virtual card in
 * process, then the everyday workflows through the real gpg, gpg-agent and ssh-add, told as a
 * short story with ✓/✗ and the time of each step. Exit 1 when a step fails. PINs come from a
 * non-interactive pinentry with the card's factory PINs and are never printed.
 * @module
 */

import { parseArgs } from "node:util";
import { paint } from "./output.ts";
import { DemoHome, type Ran } from "./demo_home.ts";

const UID_NAME = "Demo User";
const UID_EMAIL = "demo@example.org";

/** Thrown by a step to say why it failed. */
class StepFailed extends Error {}

/** A step "skipped" gets a note, never a ✓. */
class StepSkipped extends Error {}

function expect(r: Ran, what: string, test: (r: Ran) => boolean = (x) => x.code === 0): Ran {
  if (!test(r)) {
    const tail = (r.stderr || r.stdout).trim().split("\n").slice(-4).join(" | ");
    throw new StepFailed(`${what} (exit ${r.code}): ${tail}`);
  }
  return r;
}

function retries(cardStatus: string): string {
  return /PIN retry counter\s*:\s*(.+)/.exec(cardStatus)?.[1]?.trim() ?? "?";
}

async function hasProgram(name: string): Promise<boolean> {
  try {
    return (await new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
      .output()).code === 0;
  } catch {
    return false;
  }
}

interface Story {
  home: DemoHome;
  fpr: string;
}

type Step = [title: string, run: (s: Story) => Promise<string>];

const STEPS: Step[] = [
  ["gpg --card-status shows the virtual card", async ({ home }) => {
    const r = expect(await home.gpg(["--card-status"]), "gpg --card-status");
    const serial = /Serial number[ .]*:\s*(\S+)/.exec(r.stdout)?.[1];
    if (serial === undefined) throw new StepFailed(`no serial number in:\n${r.stdout}`);
    return `serial ${serial}, PIN retry counter ${retries(r.stdout)}`;
  }],
  ["key attributes set to ed25519/cv25519 (admin PIN)", async ({ home }) => {
    expect(
      await home.interact(["--card-edit"], {
        "cardedit.prompt": ["admin", "key-attr", "quit"],
        "cardedit.genkeys.algo": ["2", "2", "2"],
        "keygen.curve": ["1", "1", "1"],
      }),
      "gpg --card-edit key-attr",
    );
    return "all three slots";
  }],
  ["keys generated on the card", async (story) => {
    const r = expect(
      await story.home.interact(["--card-edit"], {
        "cardedit.prompt": ["admin", "generate", "quit"],
        "cardedit.genkeys.backup_enc": ["n"],
        "cardedit.genkeys.replace_keys": ["y"],
        "keygen.valid": ["0"],
        "keygen.name": [UID_NAME],
        "keygen.email": [UID_EMAIL],
        "keygen.comment": [""],
        "keygen.userid.cmd": ["O"],
      }),
      "gpg --card-edit generate",
    );
    const created = /\[GNUPG:\] KEY_CREATED \S+ (\S+)/.exec(r.stderr)?.[1];
    if (created === undefined) throw new StepFailed("gpg printed no KEY_CREATED");
    story.fpr = created;
    return `primary key ${created}`;
  }],
  ["sign and verify", async ({ home, fpr }) => {
    const signed = expect(
      await home.gpg(["--local-user", fpr, "--clearsign"], "hello from scd-ts\n"),
      "gpg --clearsign",
    );
    const v = expect(
      await home.gpg(["--verify"], signed.stdout),
      "gpg --verify",
      (r) => r.code === 0 && r.stderr.includes("[GNUPG:] GOODSIG"),
    );
    return /\[GNUPG:\] GOODSIG \S+ (.+)/.exec(v.stderr)?.[1] ?? "good signature";
  }],
  ["encrypt and decrypt", async ({ home }) => {
    const text = `secret ${crypto.randomUUID()}\n`;
    const enc = expect(
      await home.gpg(
        ["--trust-model", "always", "--armor", "--recipient", UID_EMAIL, "--encrypt"],
        text,
      ),
      "gpg --encrypt",
    );
    const dec = expect(await home.gpg(["--decrypt"], enc.stdout), "gpg --decrypt");
    if (dec.stdout !== text) throw new StepFailed("the decrypted text differs");
    return "plaintext matches";
  }],
  ["ssh-add -L lists the card's authentication key", async ({ home }) => {
    const sock = expect(await home.run("gpgconf", ["--list-dirs", "agent-ssh-socket"]), "gpgconf")
      .stdout.trim();
    const r = expect(
      await home.run("ssh-add", ["-L"], { env: { SSH_AUTH_SOCK: sock } }),
      "ssh-add -L",
      (x) => x.code === 0 && x.stdout.includes("cardno:"),
    );
    return r.stdout.trim().split("\n").find((l) => l.includes("cardno:"))!.replace(
      / (\S{12})\S+(\S{8}) /,
      " $1…$2 ",
    );
  }],
  ["signed git commit verified by git log --show-signature", async ({ home, fpr }) => {
    if (!(await hasProgram("git"))) throw new StepSkipped("git is not installed");
    const repo = `${home.path}/repo`;
    const git = (args: string[]) =>
      home.run("git", ["-C", repo, ...args], {
        env: { GIT_CONFIG_NOSYSTEM: "1", HOME: home.path },
      });
    expect(await home.run("git", ["init", "-q", repo], { env: { HOME: home.path } }), "git init");
    for (
      const [k, v] of [
        ["user.name", UID_NAME],
        ["user.email", UID_EMAIL],
        ["user.signingkey", fpr],
        ["commit.gpgsign", "true"],
      ]
    ) {
      expect(await git(["config", k!, v!]), "git config");
    }
    expect(await git(["commit", "-q", "--allow-empty", "-m", "signed by a card"]), "git commit -S");
    const log = expect(
      await git(["log", "--show-signature", "-1"]),
      "git log",
      (r) => r.code === 0 && r.stdout.includes("Good signature"),
    );
    return /gpg: (Good signature.*)/.exec(log.stdout)?.[1] ?? "good signature";
  }],
  ["a wrong PIN costs one try, the right one restores it", async ({ home, fpr }) => {
    // a fresh gpg-agent and scd-ts have no PIN cached, so the next signature asks the
    // pinentry (the card state lives in the state file)
    expect(await home.run("gpgconf", ["--kill", "all"]), "gpgconf --kill all");
    await home.wrongPinOnce();
    const bad = await home.gpg(["--local-user", fpr, "--clearsign"], "x\n");
    if (bad.code === 0) throw new StepFailed("the wrong PIN was accepted");
    const after = retries(expect(await home.gpg(["--card-status"]), "gpg --card-status").stdout);
    expect(
      await home.gpg(["--local-user", fpr, "--clearsign"], "x\n"),
      "gpg --clearsign with the right PIN",
    );
    const restored = retries(expect(await home.gpg(["--card-status"]), "gpg --card-status").stdout);
    if (after.split(/\s+/)[0] !== "2" || restored.split(/\s+/)[0] !== "3") {
      throw new StepFailed(
        `retry counters ${after} after the wrong PIN, ${restored} after the right one`,
      );
    }
    return `retry counter ${after} after the wrong PIN, ${restored} after the right one`;
  }],
];

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs the demo; exit 0 when every step passed (a skipped step is not a pass, but no failure). */
export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { keep: { type: "boolean", default: false }, "scd-ts": { type: "string" } },
  });
  const home = await DemoHome.create(values["scd-ts"]);
  console.log(`scd-ts demo: a throwaway GNUPGHOME ${home.path}`);
  console.log(
    "gpg-agent runs scd-ts on the built-in virtual OpenPGP card (in process: no pcscd, no hardware);",
  );
  console.log(
    "a non-interactive pinentry answers with the card's factory PINs (user 123456, admin 12345678).\n",
  );
  const story: Story = { home, fpr: "" };
  let failed = 0;
  try {
    for (const [title, run] of STEPS) {
      const started = performance.now();
      try {
        const note = await run(story);
        console.log(
          `${paint("green", "✓")} ${title} ${
            paint("dim", `(${seconds(performance.now() - started)})`)
          }\n    ${note}`,
        );
      } catch (e) {
        if (e instanceof StepSkipped) {
          console.log(`- ${title}: skipped, ${e.message}`);
          continue;
        }
        failed++;
        console.log(
          `${paint("red", "✗")} ${title} ${
            paint("dim", `(${seconds(performance.now() - started)})`)
          }\n    ${(e as Error).message}`,
        );
        if (story.fpr === "" && title.startsWith("keys")) break; // nothing else can work
      }
    }
  } finally {
    await home.close(values.keep);
  }
  if (values.keep) {
    console.log(
      `\nKept ${home.path}. Try:\n  export GNUPGHOME=${home.path}\n  gpg --card-status\n  echo hi | gpg --clearsign\n  gpgconf --kill all   # when done; then rm -r ${home.path}`,
    );
  } else console.log("\ncleaned up: gpg-agent and scd-ts ended, the GNUPGHOME removed");
  console.log(failed === 0 ? "demo: every step passed" : `demo: ${failed} step(s) failed`);
  return failed === 0 ? 0 : 1;
}
