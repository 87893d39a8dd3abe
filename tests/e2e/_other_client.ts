/**
 * "Another PC/SC client" from a test: runs tests/e2e/_pcsc_client.ts (under the gnupg version's
 * libpcsclite, so inside the chroot for 2.4) with APDUs in one transaction.
 * @module
 */
import { REPO_ROOT } from "../bed/vcard.ts";
import { type CardContext, READER } from "./_fixture.ts";

/** What the other client did: exit code, status words (when it got that far), wait in ms. */
export interface OtherClientResult {
  code: number;
  /** Status words in order, or undefined when it failed before answering. */
  sws: string[] | undefined;
  /** Connect to the last answer, as the client measured it. */
  ms: number;
  /** stdout and stderr, for messages. */
  out: string;
}

/** deno and its arguments to run tests/e2e/_pcsc_client.ts with `args`. */
function pcscClient(args: string[]): [string, string[]] {
  const deno = Deno.realPathSync(Deno.execPath());
  const client = `${REPO_ROOT}/tests/e2e/_pcsc_client.ts`;
  return [deno, ["run", "-A", "--quiet", "--config", `${REPO_ROOT}/deno.json`, client, ...args]];
}

/** Sends `apdus` (hex) from another PC/SC client on the test's reader. */
export async function otherClient(c: CardContext, apdus: string[]): Promise<OtherClientResult> {
  const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
  const r = await c.run(...pcscClient([READER, ...apdus]), { env: { DENO_DIR: denoDir } });
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  return {
    code: r.code,
    sws: r.code === 0 ? JSON.parse(last) : undefined,
    ms: Number(/elapsed_ms (\d+)/.exec(r.stderr)?.[1] ?? NaN),
    out: (r.stdout + r.stderr).trim(),
  };
}

/**
 * Keeps a shared handle on the test's reader open (no transaction) until `close()`, at most
 * `ms`. Host pcscd only (it runs the host's libpcsclite, not the chroot's).
 */
export async function keepConnected(ms: number): Promise<{ close(): Promise<void> }> {
  const [deno, args] = pcscClient(["--keep-connected", String(ms), READER]);
  const child = new Deno.Command(deno, {
    args,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  if (!new TextDecoder().decode(first.value ?? new Uint8Array()).includes("connected")) {
    child.kill();
    throw new Error("Cannot keep a handle on the card: the client did not connect");
  }
  reader.releaseLock();
  return {
    async close() {
      try {
        child.kill();
      } catch { /* already gone */ }
      await child.stdout.cancel().catch(() => {});
      await child.status;
    },
  };
}
