/**
 * CI's stand-in for `deno task compile` (whose denort download is unreachable here): bundle
 * main.ts into one file, then run that file as gpg-agent would run the binary and check it
 * answers Assuan. Exit 0 on success, 1 with the reason otherwise.
 * @module
 */

const out = `${Deno.makeTempDirSync({ prefix: "scd-ts-bundle-" })}/scd-ts.js`;
const deno = Deno.execPath();

async function run(args: string[], input?: string): Promise<{ code: number; stdout: string }> {
  const child = new Deno.Command(deno, {
    args,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1", SCD_TS_LOG_LEVEL: "error" },
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

// The same permissions `deno task compile` grants the binary.
const perms = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-run",
  "--allow-sys",
];
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
Deno.removeSync(out.replace(/\/scd-ts\.js$/, ""), { recursive: true });
console.log(`bundle check: ${out} bundled, --version and an Assuan session answer`);
