/**
 * Issue 23's comparison: gnupg-pkcs11-scd (Debian's 0.10.0) and scd-ts on the same SoftHSM2
 * token (standardToken: RSA 2048/3072, P-256, P-384, Ed25519 without certificates and an RSA key
 * with one; plus a P-256 key with a certificate), each flow through the same gpg, gpg-agent and
 * ssh (tests/e2e/_pkcs11_compare.ts). Asserts what each daemon does — scd-ts every flow,
 * gnupg-pkcs11-scd what it was seen to do — so a change in either shows up, and prints the table.
 * With SCD_PKCS11_COMPARE_OUT=FILE it writes the table there: into its block of
 * docs/pkcs11.md ("Compared with gnupg-pkcs11-scd") when FILE has one, else as the whole file.
 *
 * Runs in the scd-ts cell of gnupg 2.2 and 2.4 (it starts both daemons itself); 2.4 needs
 * gnupg-pkcs11-scd and SoftHSM2 in the trixie chroot (.ci/gnupg_chroot.sh).
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { chrootDir } from "../bed/chroot.ts";
import { GnupgBed, HOMES_BASE } from "../bed/gnupg.ts";
import { CERT_KEY, haveSoftHsm, SoftHsm, standardToken, TOKEN_KEYS } from "../bed/softhsm.ts";
import { markdownTable, replaceBlock } from "../support/markdown_block.ts";
import {
  type CompareDaemon,
  compareHome,
  EC_CERT_KEY,
  LABELS,
  observe,
  type Observed,
  PKCS11_SCD,
} from "./_pkcs11_compare.ts";
import { DAEMON, GNUPG_VERSION } from "./_fixture.ts";

const ROOT = GNUPG_VERSION === "2.2" ? "" : GNUPG_VERSION === "2.4" ? chrootDir() : undefined;
const installed = (path: string) => {
  try {
    Deno.statSync(`${ROOT}${path}`);
    return true;
  } catch {
    return false;
  }
};
const ignore = DAEMON !== "scd-ts" || ROOT === undefined || !haveSoftHsm() ||
  !installed(PKCS11_SCD) || !installed("/usr/lib/softhsm/libsofthsm2.so");
if (ignore) {
  console.log(
    "n/a: gnupg-pkcs11-scd comparison (the scd-ts cell of gnupg 2.2 or 2.4, with " +
      "gnupg-pkcs11-scd and SoftHSM2 installed there)",
  );
}

/** A daemon's outcomes reduced to what is stable between runs (no grips, serials, slots). */
function summary(o: Observed) {
  return {
    cardStatus: o.cardStatus.code === 0 ? o.cardStatus.fields.get("Application type") : "fails",
    appType: o.appType,
    learned: [...o.learned].sort(),
    certKey: o.certKey,
    // gnupg-pkcs11-scd answers ERR 41 or, in some runs, segfaults (dmesg) and gpg-agent sees
    // the connection end: both are its failure
    scdKeyinfo: o.scdKeyinfo.replace(/^ERR "End of file".*/, 'ERR "Wrong public key algorithm"'),
    sshListed: [...o.sshListed].sort(),
    sshSigned: o.sshSigned.map((s) => `${s.type}: ${s.signed ? "signs" : "fails"}`).sort(),
    wrongPin: o.wrongPin,
    wrongPinDirect: o.wrongPinDirect,
    keyinfoList: o.keyinfoList,
  };
}

const ALL_WORK = { made: true, signed: true, verified: true, decrypted: true, error: "" };

/** What each daemon was seen to do on `series` (scd-ts: everything works). */
function expected(daemon: CompareDaemon, series: string): ReturnType<typeof summary> {
  if (daemon === "scd-ts") {
    return {
      cardStatus: "PKCS#15",
      appType: "p15",
      learned: [...LABELS.values()].sort(),
      certKey: ALL_WORK,
      scdKeyinfo: "S KEYINFO",
      // 2.2: the $AUTHKEYID key (the first by CKA_ID: rsa2048) as the card key; 2.4's agent
      // offers every key of KEYINFO --list
      sshListed: series === "2.2" ? ["ssh-rsa"] : [
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "ssh-ed25519",
        "ssh-rsa",
        "ssh-rsa",
        "ssh-rsa",
      ],
      sshSigned: [
        "ecdsa-sha2-nistp256: signs",
        "ecdsa-sha2-nistp256: signs",
        "ecdsa-sha2-nistp384: signs",
        "ecdsa-sha2-nistp521: signs",
        "ssh-ed25519: signs",
        "ssh-rsa: signs",
        "ssh-rsa: signs",
        "ssh-rsa: signs",
      ],
      wrongPin: { needPins: 1, error: "Bad PIN", rightWorks: true },
      wrongPinDirect: { needPins: 1, error: "Bad PIN" },
      keyinfoList: { tokenKeys: LABELS.size, error: "" },
    };
  }
  // 2.4's gpg-agent asks KEYINFO before PKSIGN, gets ERR 41 and asks for the card in a loop
  // (its issue 59): no signature at all
  const signs = series === "2.2";
  return {
    cardStatus: "OpenPGP",
    appType: "PKCS11",
    learned: [CERT_KEY.label],
    certKey: signs ? ALL_WORK : {
      made: false,
      signed: false,
      verified: false,
      decrypted: false,
      error: "gpg-agent asks again and again to insert the card (gpg stopped)",
    },
    scdKeyinfo: 'ERR "Wrong public key algorithm"',
    sshListed: [],
    sshSigned: [`ssh-rsa: ${signs ? "signs" : "fails"}`],
    wrongPin: signs ? { needPins: 3, error: "Bad PIN", rightWorks: true } : undefined,
    wrongPinDirect: { needPins: 3, error: "Bad PIN" },
    keyinfoList: { tokenKeys: 1, error: "" },
  };
}

const yes = (b: boolean, what: string) => b ? what : `not ${what}`;
const list = (items: string[]) => items.length === 0 ? "none" : items.join(", ");

/** The table's cells for one daemon, in the order of {@linkcode FLOWS}. */
function cells(o: Observed): string[] {
  const f = o.cardStatus.fields;
  const appId = f.get("Application ID") ?? "";
  const status = o.cardStatus.code !== 0 ? `fails (exit ${o.cardStatus.code})` : [
    `Reader "${(f.get("Reader") ?? "").replace(/\(slot \d+\)/, "(slot …)")}"`,
    `Application type ${f.get("Application type") ?? "not shown"}`,
    `Application ID ${
      appId.startsWith("D27600012401") ? "D27600012401… (an OpenPGP AID)" : `${appId.length} hex`
    }`,
    ...(f.has("Key attributes") ? [`Key attributes "${f.get("Key attributes")}"`] : []),
  ].join(", ");
  const without = TOKEN_KEYS.map((k) => k.label);
  const withCert = [CERT_KEY.label, EC_CERT_KEY.label];
  const shown = (labels: string[]) =>
    `listed: ${list(labels.filter((l) => o.learned.includes(l)))}; ` +
    `not listed: ${list(labels.filter((l) => !o.learned.includes(l)))}`;
  const c = o.certKey;
  const pin = o.wrongPin;
  return [
    status,
    `APPTYPE ${o.appType}, ${o.learned.length} KEYPAIRINFO (${list(o.learned)})`,
    shown(without),
    shown(withCert),
    c.made
      ? `${yes(c.signed && c.verified, "signs (good signature)")}, ${yes(c.decrypted, "decrypts")}`
      : `no gpg key: ${c.error}`,
    o.sshListed.length === 0 ? "no identities" : `${o.sshListed.length}: ${counted(o.sshListed)}`,
    sshCell(o.sshSigned),
    pin === undefined
      ? "not tried (no gpg key)"
      : `${pin.needPins} \`INQUIRE NEEDPIN\`, "${pin.error}"` +
        `; the right PIN then ${pin.rightWorks ? "signs" : "fails"}`,
    o.wrongPinDirect === undefined
      ? "not tried (no key)"
      : `${o.wrongPinDirect.needPins} \`INQUIRE NEEDPIN\`, "${o.wrongPinDirect.error}"`,
    o.keyinfoList.error !== ""
      ? `\`ERR\` "${o.keyinfoList.error}"`
      : `${o.keyinfoList.tokenKeys} token key${o.keyinfoList.tokenKeys === 1 ? "" : "s"} (\`T\`)`,
    o.scdKeyinfo,
  ];
}

/** `type ×n, …` in type order. */
function counted(types: string[]): string {
  return [...new Set(types)].sort().map((t) => `${t} ×${types.filter((x) => x === t).length}`)
    .join(", ");
}

/** Per key type: how many keys ssh-keygen signed with, of how many listed. */
function sshCell(signed: Observed["sshSigned"]): string {
  const types = [...new Set(signed.map((s) => s.type))].sort();
  const count = (type: string, ok?: boolean) =>
    signed.filter((s) => s.type === type && (ok === undefined || s.signed === ok)).length;
  const errors = [...new Set(signed.map((s) => s.error).filter((e) => e !== ""))];
  return types.length === 0
    ? "no keys"
    : types.map((t) => `${t} ${count(t, true)} of ${count(t)}`).join(", ") +
      errors.map((e) => ` (ssh-keygen: "${e}")`).join("");
}

const FLOWS = [
  "`gpg --card-status`",
  "`SCD LEARN --force`: keys announced",
  "keys without a certificate",
  "keys with a certificate (RSA, P-256)",
  "RSA key with certificate: gpg key from its keygrip",
  "`ssh-add -L`, empty `sshcontrol`",
  "`ssh-keygen -Y sign` (keys that sign, of those listed), every keygrip in `sshcontrol`",
  "one wrong PIN (loopback, one gpg signature)",
  "one wrong PIN (pinentry), `SCD PKSIGN` of the RSA key with certificate",
  "gpg-agent `KEYINFO --list`",
  "`SCD KEYINFO <keygrip>` of the RSA key with certificate (2.4's gpg-agent asks it before PKSIGN)",
];

Deno.test({
  name: `gnupg-pkcs11-scd and scd-ts on one SoftHSM2 token (gnupg ${GNUPG_VERSION})`,
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using hsm = await SoftHsm.create(HOMES_BASE); // the 2.4 chroot sees HOMES_BASE
    await standardToken(hsm, "cmp");
    await hsm.certifiedKey("cmp", EC_CERT_KEY);
    const bed = await GnupgBed.open(GNUPG_VERSION);
    try {
      const seen = new Map<CompareDaemon, Observed>();
      for (const daemon of ["gnupg-pkcs11-scd", "scd-ts"] as const) {
        const home = await compareHome(bed, hsm, daemon);
        try {
          seen.set(daemon, await observe(bed, home));
        } catch (e) {
          console.error(`--- ${daemon} log (tail)\n${(await home.scdLog()).slice(-4000)}`);
          throw e;
        } finally {
          await home.close();
        }
      }
      const versions = await toolVersions(bed);
      const table = markdownTable(
        ["flow", "scd-ts", `gnupg-pkcs11-scd ${versions.pkcs11Scd}`],
        FLOWS.map((
          flow,
          i,
        ) => [flow, cells(seen.get("scd-ts")!)[i]!, cells(seen.get("gnupg-pkcs11-scd")!)[i]!]),
      );
      const block = [
        `gnupg ${versions.gnupg}${
          bed.chroot ? " (Debian trixie chroot)" : " (Debian bookworm)"
        }, ` +
        `SoftHSM ${versions.softhsm}, run on ${new Date().toISOString().slice(0, 10)}; regenerate:`,
        "",
        "```",
        `SCD_E2E_GNUPG=${GNUPG_VERSION} SCD_E2E_DAEMON=scd-ts SCD_PKCS11_COMPARE_OUT=docs/pkcs11.md \\`,
        "  deno test -A tests/e2e/pkcs11_compare_test.ts",
        "```",
        "",
        table,
      ].join("\n");
      console.log(block);
      await writeOut(block);
      for (const [daemon, o] of seen) {
        assertEquals(summary(o), expected(daemon, bed.series), `${daemon} on ${GNUPG_VERSION}`);
      }
    } finally {
      await bed.close();
    }
  },
});

/** The versions in the block's first line, as the tools print them. */
async function toolVersions(bed: GnupgBed) {
  const first = async (cmd: string, args: string[]) =>
    (await bed.run(cmd, args)).stdout.split("\n")[0]?.trim() ?? "";
  const gpg = await first("gpg", ["--version"]);
  const scd = await first(PKCS11_SCD, ["--version"]);
  return {
    gnupg: /(\d+\.\d+\.\d+)/.exec(gpg)?.[1] ?? gpg,
    pkcs11Scd: /(\d+\.\d+\.\d+)/.exec(scd)?.[1] ?? scd,
    softhsm: await first("softhsm2-util", ["--version"]),
  };
}

/** SCD_PKCS11_COMPARE_OUT: this version's block of that file, or the whole file; then fmt. */
async function writeOut(block: string): Promise<void> {
  const out = Deno.env.get("SCD_PKCS11_COMPARE_OUT");
  if (!out) return;
  const text = await Deno.readTextFile(out).catch(() => "");
  await Deno.writeTextFile(
    out,
    replaceBlock(text, `pkcs11-compare gnupg ${GNUPG_VERSION}`, block) ?? `${block}\n`,
  );
  // the prose line wrapped as the repository's deno fmt wraps it
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", out] }).output();
}
