/**
 * README's first section gives exactly two commands for a fresh machine, and CI runs both as
 * written: the second is CI's entry point itself (`bash .ci/run`), and .ci/run runs the first
 * line for line before the test suites.
 * @module
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { REPO_ROOT } from "../bed/vcard.ts";

/** The shell lines of the first fenced block of README's first `## ` section. */
export function firstSectionCommands(readme: string): string[] {
  const section = readme.split(/^## /m)[1] ?? "";
  const block = /^```(?:sh|bash)?\n([\s\S]*?)^```/m.exec(section)?.[1] ?? "";
  return block.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

Deno.test("README's first section: two commands, and .ci/run runs both exactly as written", async () => {
  const readme = await Deno.readTextFile(`${REPO_ROOT}/README.md`);
  const commands = firstSectionCommands(readme);
  assertEquals(commands.length, 2, `README's first section: ${JSON.stringify(commands)}`);
  const [demo, tests] = commands as [string, string];
  assertEquals(tests, "bash .ci/run");
  const run = (await Deno.readTextFile(`${REPO_ROOT}/.ci/run`)).split("\n").map((l) => l.trim());
  assert(run.includes(demo), `.ci/run does not run README's first command "${demo}"`);
  assert(run.indexOf(demo) < run.indexOf("deno task ci"), "the demo runs before the suites");
  assert(run[0] === "#!/usr/bin/env bash" && run.some((l) => l.startsWith("set -euo pipefail")));
});
