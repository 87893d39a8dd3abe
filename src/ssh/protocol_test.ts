import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { sshString, SshWireError } from "../formats/mod.ts";
import { concat, uintBE } from "../util/bytes.ts";
import { defaultSocket, parseSshArgs, refuseForwardedSetting, shellLines } from "./mod.ts";
import { identitiesAnswer, parseRequest } from "./protocol.ts";

Deno.test("parseRequest() reads ADD_SMARTCARD_KEY_CONSTRAINED with a lifetime", () => {
  const body = concat(
    Uint8Array.of(26),
    sshString("0006 12345678"),
    sshString("123456"),
    Uint8Array.of(1),
    uintBE(600, 4),
    Uint8Array.of(2),
  );
  const r = parseRequest(body);
  assertEquals(r.type === "add-smartcard" && [r.id, r.lifetimeSeconds, r.confirm], [
    "0006 12345678",
    600,
    true,
  ]);
  // an unknown constraint (255 = extension) is refused, not skipped
  assertThrows(() => parseRequest(concat(body, Uint8Array.of(255))), RangeError);
});

Deno.test("parseRequest() refuses trailing bytes and reads SIGN_REQUEST flags", () => {
  const sign = concat(Uint8Array.of(13), sshString("blob"), sshString("data"), uintBE(4, 4));
  const r = parseRequest(sign);
  assertEquals(r.type === "sign" && r.flags, 4);
  assertThrows(() => parseRequest(concat(sign, Uint8Array.of(0))), SshWireError);
  assertThrows(() => parseRequest(Uint8Array.of(11, 0)), SshWireError);
  assertThrows(() => parseRequest(new Uint8Array(0)), SshWireError);
  assertEquals(parseRequest(Uint8Array.of(99)), { type: "unknown", number: 99 });
});

Deno.test("identitiesAnswer() writes count, then blob and comment per key", () => {
  assertEquals(
    identitiesAnswer([{ blob: Uint8Array.of(1, 2), comment: "c" }]),
    concat(Uint8Array.of(12), uintBE(1, 4), uintBE(2, 4), Uint8Array.of(1, 2), sshString("c")),
  );
});

Deno.test("shellLines() prints what ssh-agent prints (sh and csh), quoting only when needed", () => {
  assertEquals(
    shellLines("/run/user/1000/scd-ts/ssh-agent.sock", 42, false),
    "SSH_AUTH_SOCK=/run/user/1000/scd-ts/ssh-agent.sock; export SSH_AUTH_SOCK;\n" +
      "SSH_AGENT_PID=42; export SSH_AGENT_PID;\necho Agent pid 42;\n",
  );
  assertEquals(shellLines("/tmp/a b", 1, true).split("\n")[0], "setenv SSH_AUTH_SOCK '/tmp/a b';");
});

Deno.test("parseSshArgs() and defaultSocket() follow ssh-agent's options", () => {
  assertEquals(parseSshArgs(["-a", "/s", "-D", "-t", "30m"]), {
    socket: "/s",
    ttl: "30m",
    foreground: true,
    refuseForwarded: false,
    csh: false,
    help: false,
  });
  assertEquals(parseSshArgs([], "/bin/tcsh").csh, true);
  assertEquals(parseSshArgs(["--refuse-forwarded"]).refuseForwarded, true);
  const conf = (v: string) => refuseForwardedSetting(new Map([["ssh-refuse-forwarded", v]]));
  assertEquals([conf("yes"), conf(""), conf("on"), conf("no"), conf("0")], [
    true,
    true,
    true,
    false,
    false,
  ]);
  assertEquals(refuseForwardedSetting(new Map()), false);
  assertThrows(() => parseSshArgs(["-k"]), TypeError);
  const env = (n: string) => n === "XDG_RUNTIME_DIR" ? "/run/user/7" : undefined;
  assertEquals(defaultSocket(env, 7), "/run/user/7/scd-ts/ssh-agent.sock");
  assertEquals(defaultSocket(() => undefined, 7), "/tmp/scd-ts-7/ssh-agent.sock");
});
