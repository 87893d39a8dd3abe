/**
 * CI's stand-in for `deno task compile` (whose denort download is unreachable here): bundle
 * main.ts into one file, then run that file as gpg-agent would run the binary and check it
 * answers Assuan. Exit 0 on success, 1 with the reason otherwise.
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

const out = `${Deno.makeTempDirSync({ prefix: "scd-ts-bundle-" })}/scd-ts.js`;
const deno = Deno.execPath();

async function run(
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string }> {
  const child = new Deno.Command(deno, {
    args,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1", SCD_TS_LOG_LEVEL: "error", ...env },
  }).spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const { code, stdout } = await child.output();
  return { code, stdout: new TextDecoder().decode(stdout) };
}

function fail(why: string): never {
  console.error(`bundle check: ${why}`);
  Deno.exit(1);
}

const bundled = await run(["bundle", "--quiet", "--platform=deno", "-o", out, "main.ts"]);
if (bundled.code !== 0) fail(`deno bundle exited ${bundled.code}`);

// The same permissions `deno task compile` grants the binary, read from deno.json so the two
// cannot drift: CI proves the narrowed set is enough for what the binary does here.
const perms = denoJson.tasks.compile.command.split(/\s+/).filter((w) => w.startsWith("--allow-"));
const version = await run(["run", ...perms, out, "--version"]);
if (version.code !== 0 || !version.stdout.startsWith("scd-ts ")) {
  fail(`--version printed ${JSON.stringify(version.stdout)} (exit ${version.code})`);
}
const session = await run(
  ["run", ...perms, out, "--server"],
  "GETINFO version\nGETINFO app_list\nBYE\n",
);
const lines = session.stdout.split("\n");
const expected = ["OK GNU Privacy Guard's Smartcard server ready", "D 2.4.8", "OK"];
if (
  !expected.every((l, i) => lines[i]?.startsWith(l)) || !lines.includes("OK closing connection")
) {
  fail(`unexpected Assuan session:\n${session.stdout}`);
}
// the card path with the narrowed permissions: the in-process card's state file, a log file
// (private-file checks: lstat, fstat, chmod) and LEARN
const dir = out.replace(/\/scd-ts\.js$/, "");
const card = await run(["run", ...perms, out, "--server"], "SERIALNO\nLEARN --force\nBYE\n", {
  SCD_TS_READER: `virtual:${dir}/card.json`,
  SCD_TS_LOG: `${dir}/scd-ts.log`,
});
if (card.code !== 0 || !card.stdout.includes("S SERIALNO D27600012401")) {
  fail(`the virtual card did not answer SERIALNO (exit ${card.code}):\n${card.stdout}`);
}
// doctor reads the settings and runs gpg/gpgconf; the demo runs gpg, gpg-agent and scd-ts
const doctor = await run([
  "run",
  ...perms,
  out,
  "probe",
  "doctor",
  "--reader",
  "virtual:",
  "--json",
]);
if (!doctor.stdout.includes('"findings"')) fail(`doctor printed:\n${doctor.stdout}`);
Deno.removeSync(dir, { recursive: true });
console.log(`bundle check: ${out} bundled; --version, Assuan, the card and doctor answer`);
