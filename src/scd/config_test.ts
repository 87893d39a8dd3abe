import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { parseArgs } from "./argv.ts";
import { envName, loadConfig, parseConfigFile, resolveConfig, SCD_TS_VARIABLES } from "./config.ts";

Deno.test("parseConfigFile() reads key value lines, comments and stock aliases", () => {
  const f = parseConfigFile(
    "# scd-ts\nlog /tmp/a.log\n--log-level debug\nreader-port Virtual PCD 00 01\ndeny-admin\nbogus 1\n",
  );
  assertEquals(Object.fromEntries(f.values), {
    "log": "/tmp/a.log",
    "log-level": "debug",
    "reader": "Virtual PCD 00 01",
    "deny-admin": "yes",
  });
  assertEquals(f.warnings, ['scd-ts.conf:6: unknown option "bogus" ignored']);
});

Deno.test("resolveConfig() lets the environment win over the file and argv over both", () => {
  const env: Record<string, string> = { SCD_TS_LOG: "/env.log", SCD_TS_READER: "env-reader" };
  const file = new Map([["log", "/file.log"], ["trace", "/file.trace"], ["reader", "f"]]);
  const { config } = resolveConfig({
    env: (n) => env[n],
    file,
    args: parseArgs(["--multi-server", "--reader-port", "argv-reader"]),
  });
  assertEquals(config.logFile, "/env.log");
  assertEquals(config.traceFile, "/file.trace");
  assertEquals(config.reader, "argv-reader");
  assertEquals(config.compatVersion, undefined); // GETINFO version asks the parent gpg-agent
  assertEquals(config.denyAdmin, false);
});

Deno.test("resolveConfig() derives the log level from --debug unless one is set", () => {
  const debug = parseArgs(["--debug-all"]);
  assertEquals(resolveConfig({ env: () => undefined, args: debug }).config.logLevel, "debug");
  const set = resolveConfig({ env: (n) => n === "SCD_TS_LOG_LEVEL" ? "error" : undefined });
  assertEquals(set.config.logLevel, "error");
  const bad = resolveConfig({ env: (n) => n === "SCD_TS_LOG_LEVEL" ? "loud" : undefined });
  assertEquals([bad.config.logLevel, bad.warnings], ["info", ['Unknown log level "loud" ignored']]);
  assertEquals(envName("compat-version"), "SCD_TS_COMPAT_VERSION");
});

Deno.test("loadConfig() reads <homedir>/scd-ts.conf, or --options FILE, or nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/scd-ts.conf`, "compat-version 2.5.0\n");
    await Deno.writeTextFile(`${dir}/other.conf`, "compat-version 9.9.9\n");
    const env = () => undefined;
    const plain = await loadConfig(dir, { env, args: parseArgs([]) });
    assertEquals(plain.config.compatVersion, "2.5.0");
    const other = await loadConfig(dir, {
      env,
      args: parseArgs(["--options", `${dir}/other.conf`]),
    });
    assertEquals(other.config.compatVersion, "9.9.9");
    const none = await loadConfig(dir, { env, args: parseArgs(["--no-options"]) });
    assertEquals(none.config.compatVersion, undefined);
    const missing = await loadConfig(dir, { env, args: parseArgs(["--options", `${dir}/nope`]) });
    assertEquals(missing.warnings.length, 1);
    assertEquals((await loadConfig(`${dir}/absent`, { env, args: parseArgs([]) })).warnings, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SCD_TS_VARIABLES and deno task compile's --allow-env cover every variable the sources read", async () => {
  const root = new URL("../../", import.meta.url);
  const files: string[] = ["main.ts"];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(new URL(dir, root))) {
      if (e.isDirectory) await walk(`${dir}${e.name}/`);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) files.push(dir + e.name);
    }
  };
  await walk("src/");
  await walk("ffi/");
  const read = new Set<string>();
  const scdTs = new Set<string>();
  for (const file of files) {
    const text = await Deno.readTextFile(new URL(file, root));
    for (const m of text.matchAll(/\benv(?:\.get)?\(\s*"([A-Za-z_][A-Za-z0-9_]*)"/g)) {
      read.add(m[1]!);
    }
    for (const m of text.matchAll(/"(SCD_TS_[A-Z0-9_]+)"/g)) scdTs.add(m[1]!);
  }
  for (const name of scdTs) {
    assert(SCD_TS_VARIABLES.includes(name), `${name} not in SCD_TS_VARIABLES`);
  }
  const compile = (await import("../../deno.json", { with: { type: "json" } })).default.tasks
    .compile.command as string;
  const allowed = /--allow-env=(\S+)/.exec(compile)?.[1]?.split(",") ?? [];
  for (const name of [...SCD_TS_VARIABLES, ...read]) {
    assert(allowed.includes(name), `deno task compile does not allow ${name}`);
  }
});
