import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { fromHex, toHex } from "../util/bytes.ts";
import { findCurve } from "./curves.ts";
import { defaultEcdhParams, PUBKEY_ALGO, v4Fingerprint } from "./fingerprint.ts";
import { keygripHex } from "./keygrip.ts";
import type { PublicKey } from "./public_key.ts";

// Keys made by gpg 2.2.40 (--quick-gen-key / --quick-add-key) in a scratch GNUPGHOME; the
// values are its `--with-colons --with-keygrip --with-key-data` output (pkd, fpr, grp).
const CREATED = 1795431255;
const RSA_N = "E519F11BC1CD92F4F88C59115D6328294C53391880DBE79920424D2AC5632F88922637DBED3F63D2" +
  "8630FD89000CFA0D0C0CDEDBB3B0C01AECC81BBF0EA8D1E884585518354B700EBB28214228FEA146545520766DFF" +
  "324DFC4DF85408935A1377F3C933BFA96E47EF413093B8564125EDC35FC4AAE2ADC40135205E79D37FC5F1BE981D" +
  "895A9B8951CB3719B20B35A4DA8B6401C807A73EAA0AE188FE213748D1D1F1DA69C826C625BC1AC78AFB60ADC629F" +
  "ECD71D0D47D907AA3CFA309D49E2B8F19C48B8490275BEF74542E142E3F66F8F2C09E18DD760B4A5A499CF084C31" +
  "98E2BD1E3F0D5E51D036C51B030F572BA50FB56DC5BAE317D132F0851477AC3";

const CASES: [string, PublicKey, number, string | undefined, string, string][] = [
  [
    "Ed25519 EdDSA",
    {
      type: "ecc",
      curve: findCurve("Ed25519")!,
      flags: "eddsa",
      q: fromHex("40062EC183E6F5A0067A35970A06C333A8FB9CC536F2E7B55FCEAD3B43AD159D86"),
    },
    PUBKEY_ALGO.EDDSA,
    undefined,
    "412FFDEC33BB32B8CA24FB0839C371256D75E520",
    "0E8D8036F5168E936530478059139C692C2EB80B",
  ],
  [
    "Curve25519 ECDH",
    {
      type: "ecc",
      curve: findCurve("Curve25519")!,
      flags: "djb-tweak",
      q: fromHex("400374C0D8B02D50A39D9D5D0A6F64DB959BA5AA07177C8E7AC296DBF9984CDD2C"),
    },
    PUBKEY_ALGO.ECDH,
    "03010807",
    "F8D6F0823E236D2200B684F013662B5B04254DD0",
    "FA0733B61E200633E732BE82FBC36CA4D6B94FFC",
  ],
  [
    "NIST P-256 ECDH",
    {
      type: "ecc",
      curve: findCurve("NIST P-256")!,
      q: fromHex(
        "04D65EE1B6785E1148E16D15A16B9F3B75168F5DCE996AFDCBA259B78B6C52CB98" +
          "6D9283EFE96F2B59B66A91987754AA43C73B79B1436EC14842867617C3B60B25",
      ),
    },
    PUBKEY_ALGO.ECDH,
    "03010807",
    "1615AE567807DEB98DBA0D0ADB3EAE6E85EF6D1F",
    "83CC7AAFFFDDC787AC889BC4974EC8B325F3F4CB",
  ],
  [
    "brainpoolP256r1 ECDH",
    {
      type: "ecc",
      curve: findCurve("brainpoolP256r1")!,
      q: fromHex(
        "0409C1AB48823AB66B8593B50965216C0E8BB5562503361DFFBE0DF8C504AC673C" +
          "0E62321F244A91931DBCFE558317D4849F2B3490862E5AE689BE84539C94AD41",
      ),
    },
    PUBKEY_ALGO.ECDH,
    "03010807",
    "2C8FBE266F18B72B3E869792E95B80926172D140",
    "650FBA7A3C7A7784F089059716C3FE01FCD3C419",
  ],
  [
    "RSA 2048",
    { type: "rsa", n: fromHex(RSA_N), e: fromHex("010001") },
    PUBKEY_ALGO.RSA,
    undefined,
    "B6662DF86C55E7EAAA2990E98DA3828E52D67682",
    "041937996CD5391156C456FC10E3C13B6E1AD113",
  ],
];

for (const [name, pk, algo, kdf, fpr, grip] of CASES) {
  Deno.test(`v4Fingerprint() matches gpg for ${name}`, () => {
    const options = kdf ? { algo, kdfParams: fromHex(kdf) } : { algo };
    assertEquals(toHex(v4Fingerprint(pk, CREATED, options)), fpr);
  });
  Deno.test(`keygripHex() matches gpg for ${name}`, () => {
    assertEquals(keygripHex(pk), grip);
  });
}

Deno.test("v4Fingerprint() defaults to ECDH with scdaemon's KDF params on Curve25519", () => {
  const pk = CASES[1]![1];
  assertEquals(toHex(v4Fingerprint(pk, CREATED)), CASES[1]![4]);
});

Deno.test("defaultEcdhParams() follows scdaemon's ecdh_params by curve size", () => {
  assertEquals(toHex(defaultEcdhParams(findCurve("cv25519")!)), "03010807");
  assertEquals(toHex(defaultEcdhParams(findCurve("nistp384")!)), "03010909");
  assertEquals(toHex(defaultEcdhParams(findCurve("nistp521")!)), "03010A09");
  assertEquals(toHex(defaultEcdhParams(findCurve("brainpoolP512r1")!)), "03010A09");
});
