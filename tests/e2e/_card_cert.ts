/**
 * An X.509 certificate for a card key, for gpgsm flows: a throw-away CA (openssl on the host)
 * certifies the public key of the card's authentication key (exported by gpg in ssh form and
 * turned into SPKI by ssh-keygen), and `SCD WRITECERT OPENPGP.3` stores it in the card's DO 7F21,
 * where OpenSC shows it as the certificate of the key with ID 03 (its pkcs15-openpgp.c "AUT
 * certificate").
 * @module
 */

import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { adminPin, type CardContext } from "./_fixture.ts";

/** The CA that certified the card key. */
export interface CardCa {
  /** Its certificate, PEM. */
  pemPath: string;
  /** Its SHA-1 fingerprint, 40 hex digits (trustlist.txt's form). */
  fingerprint: string;
}

async function host(cmd: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const err = new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${err}`);
  return new TextDecoder().decode(r.stdout);
}

/** Certifies the authentication key `authFpr` and writes the certificate to the card. */
export async function certifyAuthKey(c: CardContext, authFpr: string): Promise<CardCa> {
  const dir = c.home.path;
  const exported = await c.gpg(["--export-ssh-key", `${authFpr}!`]);
  assertEquals(exported.code, 0, exported.stderr);
  await Deno.writeTextFile(`${dir}/auth_ssh.pub`, exported.stdout);
  const spki = await host("ssh-keygen", ["-e", "-m", "PKCS8", "-f", `${dir}/auth_ssh.pub`]);
  await Deno.writeTextFile(`${dir}/auth.pem`, spki);
  const ca = `${dir}/ca`;
  await host("openssl", [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${ca}.key`],
    ...["-out", `${ca}.pem`, "-days", "2", "-subj", "/CN=scd-ts test CA"],
    ...["-addext", "basicConstraints=critical,CA:true"],
    ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
  // a request signed by any key; -force_pubkey puts the card's key in the certificate
  await host("openssl", [
    ...["req", "-new", "-key", `${ca}.key`, "-subj", "/CN=Card Tester", "-out", `${dir}/card.csr`],
  ]);
  await Deno.writeTextFile(`${dir}/card.ext`, "keyUsage=critical,digitalSignature\n");
  await host("openssl", [
    ...["x509", "-req", "-in", `${dir}/card.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`],
    ...["-set_serial", "7", "-days", "2", "-force_pubkey", `${dir}/auth.pem`],
    ...["-extfile", `${dir}/card.ext`, "-outform", "DER", "-out", `${dir}/card.der`],
  ]);
  await c.pins([adminPin()]);
  const written = await c.run("gpg-connect-agent", [
    `/definqfile CERTDATA ${dir}/card.der`,
    "SCD WRITECERT OPENPGP.3",
    "/bye",
  ]);
  assertEquals(written.code, 0, written.stderr);
  assertMatch(written.stdout, /^OK/m, written.stdout);
  const fpr = await host("openssl", [
    "x509",
    "-in",
    `${ca}.pem`,
    "-noout",
    "-fingerprint",
    "-sha1",
  ]);
  return { pemPath: `${ca}.pem`, fingerprint: fpr.split("=")[1]!.replaceAll(":", "").trim() };
}
