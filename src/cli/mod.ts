/**
 * The user commands of the `scd-ts` program besides the daemon itself: `probe` (readers,
 * info, loop, doctor), `doctor`, `install`, `uninstall` and `demo`. gpg-agent starts the
 * daemon with options (`--multi-server`), never with one of these words first, so the two
 * uses never meet.
 * @module
 */

import { UsageError } from "./output.ts";

/** The first argument words that name a user command. */
export const USER_COMMANDS = ["probe", "doctor", "install", "uninstall", "demo"] as const;

/** True when `argv` asks for a user command rather than the daemon. */
export function isUserCommand(argv: readonly string[]): boolean {
  return (USER_COMMANDS as readonly string[]).includes(argv[0] ?? "");
}

/** Runs the user command in `argv`; returns the exit code (2 for a usage error). */
export async function runUserCommand(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case "probe":
        return await (await import("./probe.ts")).runProbe(rest);
      case "doctor":
        return await (await import("./probe.ts")).runProbe(["doctor", ...rest]);
      case "install":
      case "uninstall":
        return await (await import("./install.ts")).runInstall(verb, rest);
      case "demo":
        return await (await import("./demo.ts")).runDemo(rest);
    }
    throw new UsageError(`Unknown command ${verb}`);
  } catch (e) {
    const usage = e instanceof UsageError ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`scd-ts: ${(e as Error).message}`);
    return usage ? 2 : 1;
  }
}
