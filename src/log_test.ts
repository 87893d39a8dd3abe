import { deepStrictEqual as assertEquals } from "node:assert";
import { getLogger, type LogRecord, reset } from "@logtape/logtape";
import { fromHex } from "./util/bytes.ts";
import {
  getLog,
  redactApdu,
  redactingSink,
  redactRecord,
  redactResponse,
  setupLogging,
} from "./log.ts";

Deno.test("redactApdu() hides VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER bodies", () => {
  assertEquals(redactApdu(fromHex("0020008106313233343536")), "0020008106 [redacted 6 bytes]");
  assertEquals(
    redactApdu(fromHex("002400810C313233343536373839303132")),
    "002400810C [redacted 12 bytes]",
  );
  assertEquals(
    redactApdu(fromHex("002C02810831323334353637380A")),
    "002C028108 [redacted 8 bytes] 0A",
  );
  // VERIFY without data (status query, or P1=FF reset) has nothing to hide.
  assertEquals(redactApdu(fromHex("00200081")), "00200081");
  assertEquals(redactApdu(fromHex("0020FF81")), "0020FF81");
});

Deno.test("redactApdu() hides reset code, secret keys and key import; shows other PUT DATA", () => {
  assertEquals(redactApdu(fromHex("00DA00D30831323334353637")), "00DA00D308 [redacted 7 bytes]");
  assertEquals(
    redactApdu(fromHex("00DA00D510" + "11".repeat(16))),
    "00DA00D510 [redacted 16 bytes]",
  );
  assertEquals(redactApdu(fromHex("00DB3FFF000003AABBCC")), "00DB3FFF000003 [redacted 3 bytes]");
  assertEquals(redactApdu(fromHex("00DA005B03446F65")), "00DA005B03446F65");
  assertEquals(redactApdu(fromHex("00A4040006D27600012401")), "00A4040006D27600012401");
});

Deno.test("redactResponse() hides PSO:DECIPHER results only", () => {
  const decipher = fromHex("002A80860300AABB00");
  assertEquals(redactResponse(decipher, fromHex("01020304059000")), "[redacted 5 bytes] 9000");
  assertEquals(redactResponse(decipher, fromHex("6982")), "6982");
  assertEquals(redactResponse(fromHex("00CA006E00"), fromHex("6E019000")), "6E019000");
});

function record(message: unknown[], properties: Record<string, unknown>): LogRecord {
  return {
    category: ["scd-ts", "apdu"],
    level: "debug",
    message,
    rawMessage: "send {apdu}",
    timestamp: 0,
    properties,
  };
}

Deno.test("redactRecord() renders byte arrays by property name, other bytes as a length", () => {
  const apdu = fromHex("0020008106313233343536");
  const pin = fromHex("313233343536");
  const out = redactRecord(record(["send ", apdu, " with ", pin, ""], { apdu, pin }));
  assertEquals(out.message, ["send ", "0020008106 [redacted 6 bytes]", " with ", "[6 bytes]", ""]);
  assertEquals(out.properties, { apdu: "0020008106 [redacted 6 bytes]", pin: "[6 bytes]" });
});

Deno.test("setupLogging() writes redacted records to the log file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logFile = `${dir}/scd.log`;
    {
      await using _logging = await setupLogging({ logFile, level: "debug", env: () => undefined });
      const apdu = fromHex("00200081083132333435363738");
      getLog("apdu").debug("send {apdu}", { apdu });
      getLog("apdu").debug("recv {response}", { apdu, response: fromHex("9000") });
      getLogger(["other"]).error("not ours");
    }
    const text = await Deno.readTextFile(logFile);
    assertEquals(text.includes("send 0020008108 [redacted 8 bytes]"), true);
    assertEquals(text.includes("recv 9000"), true);
    assertEquals(text.includes("3132333435363738"), false);
    assertEquals(text.includes("not ours"), false);
    assertEquals(text.includes("scd-ts·apdu"), true);
    assertEquals((await Deno.stat(logFile)).mode! & 0o777, 0o600);
  } finally {
    await reset();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs setupLogging on `logFile`, logs one line, and returns what reached the stderr stand-in. */
async function logOnce(logFile: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  const stderr = new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c) });
  try {
    {
      await using _logging = await setupLogging({ logFile, stderr, env: () => undefined });
      getLog("test").info("a line");
    }
  } finally {
    await reset();
  }
  return chunks.map((c) => new TextDecoder().decode(c)).join("");
}

Deno.test("setupLogging() refuses a symlinked log file and logs to stderr instead", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/target`, "");
    await Deno.symlink(`${dir}/target`, `${dir}/scd.log`);
    const stderr = await logOnce(`${dir}/scd.log`);
    assertEquals(await Deno.readTextFile(`${dir}/target`), "", "nothing through the link");
    assertEquals(stderr.includes("is a symbolic link; logging to stderr"), true, stderr);
    assertEquals(stderr.includes("a line"), true, stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setupLogging() makes an existing 0644 log file 0600", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/scd.log`, "", { mode: 0o644 });
    await Deno.chmod(`${dir}/scd.log`, 0o644);
    await logOnce(`${dir}/scd.log`);
    assertEquals((await Deno.stat(`${dir}/scd.log`)).mode! & 0o777, 0o600);
    assertEquals((await Deno.readTextFile(`${dir}/scd.log`)).includes("a line"), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setupLogging() with a log file it cannot open logs to stderr and does not throw", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const stderr = await logOnce(`${dir}/no-such-dir/scd.log`);
    assertEquals(stderr.includes(`Cannot log to ${dir}/no-such-dir/scd.log`), true, stderr);
    assertEquals(stderr.includes("a line"), true, stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("redactingSink() passes redacted records to the wrapped sink", () => {
  const seen: LogRecord[] = [];
  const sink = redactingSink((r) => void seen.push(r));
  const apdu = fromHex("0024008302AABB");
  sink(record(["x ", apdu, ""], { apdu }));
  assertEquals(seen[0]!.message[1], "0024008302 [redacted 2 bytes]");
});

Deno.test("redactApdu() hides PUT DATA of the private DOs 0103/0104, not 0101/0102", () => {
  assertEquals(redactApdu(fromHex("00DA0103046E6F7465")), "00DA010304 [redacted 4 bytes]");
  assertEquals(redactApdu(fromHex("00DA0104046E6F7465")), "00DA010404 [redacted 4 bytes]");
  assertEquals(redactApdu(fromHex("00DA0101046E6F7465")), "00DA0101046E6F7465");
});

Deno.test("redactResponse() hides GET DATA of 0103/0104, not 0101/0102", () => {
  assertEquals(
    redactResponse(fromHex("00CA010300"), fromHex("6E6F74659000")),
    "[redacted 4 bytes] 9000",
  );
  assertEquals(
    redactResponse(fromHex("00CA010400"), fromHex("6E6F74659000")),
    "[redacted 4 bytes] 9000",
  );
  assertEquals(redactResponse(fromHex("00CA010100"), fromHex("6E6F74659000")), "6E6F74659000");
  assertEquals(redactResponse(fromHex("00CA010300"), fromHex("6982")), "6982");
});

Deno.test("redactRecord() judges a response by `answers` when given (a GET RESPONSE continuation)", () => {
  const apdu = fromHex("00C0000010");
  const response = fromHex("0102030405069000");
  const out = redactRecord(record([apdu, " -> ", response], {
    apdu,
    response,
    answers: fromHex("002A8086"),
  }));
  assertEquals(out.message, ["00C0000010", " -> ", "[redacted 6 bytes] 9000"]);
  assertEquals(redactRecord(record([response], { apdu, response })).message, ["0102030405069000"]);
});
