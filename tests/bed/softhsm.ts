/**
 * SoftHSM2 tokens for tests, made by the real tools in a temporary directory: a config
 * (SOFTHSM2_CONF) pointing to its own token directory, `softhsm2-util --init-token`, key pairs
 * by `pkcs11-tool --keypairgen`, and one key imported with a self-signed certificate and no
 * public-key object (so its public part can only come from the certificate).
 * @module
 */

import { buildC } from "./gcc.ts";

/** Debian's SoftHSM2 module. */
export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";
export const TOKEN_PIN = "123456";
export const SO_PIN = "12345678";

/** What a test token holds: label → CKA_ID (hex) and gpg algorithm. */
export const TOKEN_KEYS = [
  { id: "01", label: "rsa2048", keyType: "rsa:2048", algo: "rsa2048" },
  { id: "02", label: "p256", keyType: "EC:prime256v1", algo: "nistp256" },
  { id: "03", label: "p384", keyType: "EC:secp384r1", algo: "nistp384" },
  { id: "04", label: "ed25519", keyType: "EC:edwards25519", algo: "ed25519" },
  { id: "05", label: "rsa3072", keyType: "rsa:3072", algo: "rsa3072" },
  { id: "06", label: "p521", keyType: "EC:secp521r1", algo: "nistp521" },
] as const;
/** The imported key with a certificate. */
export const CERT_KEY = { id: "10", label: "certified", algo: "rsa2048" } as const;

/** True when SoftHSM2 and OpenSC's tools are installed (.ci/run installs them). */
export function haveSoftHsm(): boolean {
  try {
    Deno.statSync(SOFTHSM_MODULE);
    return true;
  } catch {
    return false;
  }
}

async function run(cmd: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(cmd[0]!, { args: cmd.slice(1), env, stdin: "null" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd.join(" ")} failed: ${text}`);
  return text;
}

/** A directory with a SoftHSM2 config and initialised tokens. */
export class SoftHsm implements AsyncDisposable {
  readonly dir: string;
  readonly conf: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.conf = `${dir}/softhsm2.conf`;
  }

  /** The environment the tools and a daemon need. */
  get env(): Record<string, string> {
    return { SOFTHSM2_CONF: this.conf };
  }

  /** A fresh config (no tokens yet) in a new directory under `base` (default the temp dir). */
  static async create(base?: string): Promise<SoftHsm> {
    if (base !== undefined) await Deno.mkdir(base, { recursive: true, mode: 0o700 });
    const dir = await Deno.makeTempDir({
      prefix: "scd-ts-softhsm-",
      ...(base ? { dir: base } : {}),
    });
    const hsm = new SoftHsm(dir);
    await Deno.mkdir(`${dir}/tokens`);
    await Deno.writeTextFile(
      hsm.conf,
      `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
    return hsm;
  }

  /** `softhsm2-util --init-token` in the next free slot. */
  async initToken(label: string): Promise<void> {
    await run([
      "softhsm2-util",
      "--init-token",
      "--free",
      "--label",
      label,
      "--pin",
      TOKEN_PIN,
      "--so-pin",
      SO_PIN,
    ], this.env);
  }

  #tool(label: string, ...args: string[]): Promise<string> {
    return run([
      "pkcs11-tool",
      "--module",
      SOFTHSM_MODULE,
      "--token-label",
      label,
      "--login",
      "--pin",
      TOKEN_PIN,
      ...args,
    ], this.env);
  }

  /** Generate a key pair on the token (`alwaysAuth`: CKA_ALWAYS_AUTHENTICATE on its private key). */
  async keypair(
    token: string,
    key: { id: string; label: string; keyType: string; alwaysAuth?: boolean },
  ) {
    await this.#tool(
      token,
      "--keypairgen",
      "--key-type",
      key.keyType,
      "--id",
      key.id,
      "--label",
      key.label,
      ...(key.alwaysAuth ? ["--always-auth"] : []),
    );
  }

  /**
   * Import a key made by openssl (`openssl req -newkey` arguments, default RSA 2048) with a
   * self-signed certificate, without public key.
   */
  async certifiedKey(
    token: string,
    key: { id: string; label: string; newkey?: readonly string[] },
  ): Promise<Uint8Array> {
    const k = `${this.dir}/${key.label}.key`;
    await run([
      "openssl",
      "req",
      "-x509",
      ...(key.newkey ?? ["-newkey", "rsa:2048"]),
      "-nodes",
      "-keyout",
      k,
      "-out",
      `${this.dir}/${key.label}.pem`,
      "-days",
      "3650",
      "-subj",
      `/CN=${key.label}`,
    ], {});
    await run([
      "openssl",
      "pkcs8",
      "-topk8",
      "-nocrypt",
      "-in",
      k,
      "-outform",
      "DER",
      "-out",
      `${k}.der`,
    ], {});
    await run([
      "openssl",
      "x509",
      "-in",
      `${this.dir}/${key.label}.pem`,
      "-outform",
      "DER",
      "-out",
      `${this.dir}/${key.label}.der`,
    ], {});
    await this.#tool(
      token,
      "--write-object",
      `${k}.der`,
      "--type",
      "privkey",
      "--id",
      key.id,
      "--label",
      key.label,
    );
    await this.#tool(
      token,
      "--write-object",
      `${this.dir}/${key.label}.der`,
      "--type",
      "cert",
      "--id",
      key.id,
      "--label",
      key.label,
    );
    return await Deno.readFile(`${this.dir}/${key.label}.der`);
  }

  /** The public key of `id` as PEM (SubjectPublicKeyInfo), read with pkcs11-tool. */
  async publicKeyDer(token: string, id: string): Promise<Uint8Array> {
    const out = `${this.dir}/pub-${id}.der`;
    await this.#tool(token, "--read-object", "--type", "pubkey", "--id", id, "-o", out);
    return await Deno.readFile(out);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

const X25519_KEYGEN = new URL("../pkcs11/testdata/x25519_keygen.c", import.meta.url).pathname;

/**
 * An X25519 key pair on the first token of `hsm`, made by tests/pkcs11/testdata/x25519_keygen.c
 * (built with gcc): pkcs11-tool 0.23 asks SoftHSM2 2.6.1 for CKM_EC_MONTGOMERY_KEY_PAIR_GEN, which
 * it lacks; SoftHSM2 makes X25519 keys as CKK_EC_EDWARDS with the curve25519 parameters.
 */
export async function x25519Keypair(hsm: SoftHsm, key: { id: string; label: string }) {
  const tool = await buildC(X25519_KEYGEN, `${hsm.dir}/x25519_keygen`);
  await run([tool, SOFTHSM_MODULE, TOKEN_PIN, key.id, key.label], hsm.env);
}

/** A token with every kind of key the tests use. */
export async function standardToken(hsm: SoftHsm, label: string): Promise<Uint8Array> {
  await hsm.initToken(label);
  for (const key of TOKEN_KEYS) await hsm.keypair(label, key);
  return await hsm.certifiedKey(label, CERT_KEY);
}
