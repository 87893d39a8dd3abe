import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { parseCliArgs, UsageError } from "./cli.ts";
import { OPENPGP34 } from "./latency.ts";
import { NITROKEY3 } from "./profiles/nitrokey.ts";
import { YUBIKEY5 } from "./profiles/yubikey.ts";

Deno.test("parseCliArgs() uses vpcd's defaults", () => {
  assertEquals(parseCliArgs([]), {
    host: "127.0.0.1",
    port: 35963,
    controlPort: undefined,
    card: {},
    help: false,
  });
});

Deno.test("parseCliArgs() reads every option", () => {
  const o = parseCliArgs([
    "--host",
    "localhost",
    "--port",
    "35964",
    "--state",
    "/tmp/card.json",
    "--serial",
    "0000abCD",
    "--latency-apdu",
    "3",
    "--latency-pso=40",
    "--auto-touch",
    "-1",
    "--control",
    "4000",
  ]);
  assertEquals(o, {
    host: "localhost",
    port: 35964,
    controlPort: 4000,
    card: {
      serial: 0xabcd,
      statePath: "/tmp/card.json",
      apduLatencyMs: 3,
      psoLatencyMs: 40,
      autoTouchMs: -1,
    },
    help: false,
  });
  assertEquals(parseCliArgs(["-h"]).help, true);
});

Deno.test("parseCliArgs() reads --latency as a model name or INS=MS list", () => {
  assertEquals(parseCliArgs(["--latency", "openpgp34"]).card.latency, OPENPGP34);
  const m = parseCliArgs(["--latency", "20=800,2A=150,default=10"]).card.latency;
  assertEquals([m?.defaultMs, m?.rules.length], [10, 2]);
  assertThrows(() => parseCliArgs(["--latency", "slow"]), UsageError);
  assertThrows(() => parseCliArgs(["--latency", "none", "--latency-apdu", "3"]), UsageError);
});

Deno.test("parseCliArgs() rejects bad values with a UsageError", () => {
  for (
    const args of [
      ["--serial", "123"],
      ["--serial", "0000000G"],
      ["--port", "0"],
      ["--port", "70000"],
      ["--latency-pso", "fast"],
      ["--auto-touch", "-2"],
      ["--bogus"],
      ["positional"],
    ]
  ) assertThrows(() => parseCliArgs(args), UsageError, args.join(" "));
});

Deno.test("parseCliArgs() reads --profile and --latency real (the profile's model)", () => {
  const o = parseCliArgs(["--profile", "Nitrokey3", "--latency", "real"]);
  assertEquals(o.card.profile, NITROKEY3);
  assertEquals(o.card.latency, NITROKEY3.latency);
  assertEquals(parseCliArgs(["--latency", "real"]).card.latency, OPENPGP34);
  assertEquals(parseCliArgs(["--latency", "yubikey5"]).card.latency, YUBIKEY5.latency);
  assertEquals(parseCliArgs(["--latency", "real,20=5"]).card.latency?.rules[0]?.ms, 5);
  assertThrows(() => parseCliArgs(["--profile", "yubikey9"]), /use one of openpgp34, yubikey5/);
});
