/**
 * Drives gpg's interactive menus (`--card-edit`, `--edit-key`) through `--command-fd 0`:
 * each `[GNUPG:] GET_LINE|GET_BOOL|GET_HIDDEN <keyword>` status line is answered from a
 * table keyed by the keyword, so the test states intent ("cardedit.prompt" → "admin",
 * "generate", "quit") rather than a brittle sequence of raw stdin lines.
 *
 * @module
 */
import type { GnupgBed, GpgResult } from "./gnupg.ts";
import { killQuietly } from "./procs.ts";

/** Answers per prompt keyword: one string for every time it is asked, or a queue. */
export type PromptAnswers = Record<string, string | string[]>;

/** Result of {@linkcode gpgInteract}: the run plus the prompt/answer transcript. */
export interface InteractResult extends GpgResult {
  /** "keyword => answer" for every prompt, in order. */
  transcript: string[];
  /** The first prompt nobody answered (gpg was then killed), if any. */
  unanswered: string | undefined;
}

/** Runs gpg with `--command-fd 0 --status-fd 2` and answers its prompts from `answers`. */
export async function gpgInteract(
  bed: GnupgBed,
  home: string,
  args: string[],
  answers: PromptAnswers,
  options: { timeoutMs?: number } = {},
): Promise<InteractResult> {
  const queues = new Map<string, string[] | string>();
  for (const [k, v] of Object.entries(answers)) queues.set(k, Array.isArray(v) ? [...v] : v);
  const [prog, argv] = bed.command(
    "gpg",
    ["--no-tty", "--command-fd", "0", "--status-fd", "2", ...args],
    { home },
  );
  const child = new Deno.Command(prog, {
    args: argv,
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const transcript: string[] = [];
  let unanswered: string | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killQuietly(child.pid, "SIGKILL");
  }, options.timeoutMs ?? 120000);

  async function onLine(line: string): Promise<void> {
    const m = /^\[GNUPG:\] GET_(?:LINE|BOOL|HIDDEN) (\S+)/.exec(line);
    if (m === null || unanswered !== undefined) return;
    const keyword = m[1]!;
    const q = queues.get(keyword);
    const answer = typeof q === "string" ? q : q?.shift();
    if (answer === undefined) {
      unanswered = keyword;
      transcript.push(`${keyword} => (no answer; gpg killed)`);
      killQuietly(child.pid, "SIGTERM");
      return;
    }
    transcript.push(`${keyword} => ${answer}`);
    await writer.write(new TextEncoder().encode(answer + "\n")).catch(() => {});
  }

  const stderrLines: string[] = [];
  const pumpErr = (async () => {
    let rest = "";
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      rest += dec.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop() ?? "";
      for (const p of parts) {
        stderrLines.push(p);
        await onLine(p);
      }
    }
    if (rest !== "") stderrLines.push(rest);
  })();
  const stdoutP = new Response(child.stdout).text();
  try {
    const [status, stdout] = await Promise.all([child.status, stdoutP, pumpErr]).then((
      [s, o],
    ) => [s, o] as const);
    await writer.close().catch(() => {});
    const stderr = stderrLines.join("\n");
    return {
      code: timedOut ? -1 : status.code,
      stdout,
      stderr,
      timedOut,
      status: stderrLines.filter((l) => l.startsWith("[GNUPG:] ")).map((l) => l.slice(9)),
      transcript,
      unanswered,
    };
  } finally {
    clearTimeout(timer);
  }
}
