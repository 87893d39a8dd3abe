/**
 * Elliptic curves gpg and OpenPGP cards know: libgcrypt names, gpg aliases, OIDs and the
 * domain parameters libgcrypt hashes into keygrips.
 *
 * Sources: gnupg common/openpgp-oid.c `oidtable` (names, OIDs, aliases, sizes) and
 * libgcrypt cipher/ecc-curves.c `domain_parms` (p, a, b, n, G). Parameters are kept as
 * the hex digits of that table; Ed25519's a and b are negative there and are hashed as
 * their absolute values (scdaemon-protocol.md §5.2).
 * @module
 */

import { fromHex } from "../util/bytes.ts";

/** libgcrypt canonical curve names. */
export type CurveName =
  | "Ed25519"
  | "Curve25519"
  | "Ed448"
  | "X448"
  | "NIST P-256"
  | "NIST P-384"
  | "NIST P-521"
  | "brainpoolP256r1"
  | "brainpoolP384r1"
  | "brainpoolP512r1"
  | "secp256k1";

/** Curve shape: decides point encodings and keygrip rules. */
export type CurveModel = "weierstrass" | "edwards" | "montgomery";

/** One curve. */
export interface Curve {
  name: CurveName;
  /** gpg's short name (`openpgp_oid_to_curve(…, 0)`), e.g. "ed25519", "nistp256". */
  alias: string;
  /** Dotted OID (the one OpenPGP uses). */
  oid: string;
  /** Nominal size in bits (openpgp-oid.c). */
  bits: number;
  model: CurveModel;
  /** Bytes of a field element / scalar (private key d is padded to this). */
  fieldBytes: number;
  /** OpenPGP algorithm this curve requires (EdDSA 22, ECDH 18), if any. */
  requiredAlgo?: number;
  /** Domain parameters as libgcrypt stores them (hex, sign dropped), for keygrips. */
  params: { p: string; a: string; b: string; n: string; gx: string; gy: string };
}

const P25519 = "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFED";
const N25519 = "1000000000000000000000000000000014DEF9DEA2F79CD65812631A5CF5D3ED";
const P448 = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE" +
  "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";
const N448 = "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" +
  "7CCA23E9C44EDB49AED63690216CC2728DC58F552378C292AB5844F3";

/** All curves, in gnupg's `oidtable` order. */
export const CURVES: readonly Curve[] = [
  {
    name: "Curve25519",
    alias: "cv25519",
    oid: "1.3.6.1.4.1.3029.1.5.1",
    bits: 255,
    model: "montgomery",
    fieldBytes: 32,
    requiredAlgo: 18,
    params: {
      p: P25519,
      a: "01DB41",
      b: "01",
      n: N25519,
      gx: "0000000000000000000000000000000000000000000000000000000000000009",
      // The pre-errata y that libgcrypt keeps for keygrip stability (its bug #4712).
      gy: "20AE19A1B8A086B4E01EDD2C7748D14C923D4D7E6D7C61B229E9C5A27ECED3D9",
    },
  },
  {
    name: "Ed25519",
    alias: "ed25519",
    oid: "1.3.6.1.4.1.11591.15.1",
    bits: 255,
    model: "edwards",
    fieldBytes: 32,
    requiredAlgo: 22,
    params: {
      p: P25519,
      a: "01",
      b: "2DFC9311D490018C7338BF8688861767FF8FF5B2BEBE27548A14B235ECA6874A",
      n: N25519,
      gx: "216936D3CD6E53FEC0A4E231FDD6DC5C692CC7609525A7B2C9562D608F25D51A",
      gy: "6666666666666666666666666666666666666666666666666666666666666658",
    },
  },
  {
    name: "X448",
    alias: "cv448",
    oid: "1.3.101.111",
    bits: 448,
    model: "montgomery",
    fieldBytes: 56,
    requiredAlgo: 18,
    params: {
      p: P448,
      a: "98A9",
      b: "01",
      n: N448,
      gx: "00000000000000000000000000000000000000000000000000000000" +
        "00000000000000000000000000000000000000000000000000000005",
      gy: "7D235D1295F5B1F66C98AB6E58326FCECBAE5D34F55545D060F75DC2" +
        "8DF3F6EDB8027E2346430D211312C4B150677AF76FD7223D457B5B1A",
    },
  },
  {
    name: "Ed448",
    alias: "ed448",
    oid: "1.3.101.113",
    bits: 456,
    model: "edwards",
    fieldBytes: 57,
    requiredAlgo: 22,
    params: {
      p: P448,
      a: "01",
      b: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE" +
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6756",
      n: N448,
      gx: "4F1970C66BED0DED221D15A622BF36DA9E146570470F1767EA6DE324" +
        "A3D3A46412AE1AF72AB66511433B80E18B00938E2626A82BC70CC05E",
      gy: "693F46716EB6BC248876203756C9C7624BEA73736CA3984087789C1E" +
        "05A0C2D73AD3FF1CE67C39C4FDBD132C4ED7C8AD9808795BF230FA14",
    },
  },
  {
    name: "NIST P-256",
    alias: "nistp256",
    oid: "1.2.840.10045.3.1.7",
    bits: 256,
    model: "weierstrass",
    fieldBytes: 32,
    params: {
      p: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
      a: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC",
      b: "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B",
      n: "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
      gx: "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296",
      gy: "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
    },
  },
  {
    name: "NIST P-384",
    alias: "nistp384",
    oid: "1.3.132.0.34",
    bits: 384,
    model: "weierstrass",
    fieldBytes: 48,
    params: {
      p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE" +
        "FFFFFFFF0000000000000000FFFFFFFF",
      a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE" +
        "FFFFFFFF0000000000000000FFFFFFFC",
      b: "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875A" +
        "C656398D8A2ED19D2A85C8EDD3EC2AEF",
      n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF" +
        "581A0DB248B0A77AECEC196ACCC52973",
      gx: "AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A38" +
        "5502F25DBF55296C3A545E3872760AB7",
      gy: "3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C0" +
        "0A60B1CE1D7E819D7A431D7C90EA0E5F",
    },
  },
  {
    name: "NIST P-521",
    alias: "nistp521",
    oid: "1.3.132.0.35",
    bits: 521,
    model: "weierstrass",
    fieldBytes: 66,
    params: {
      p: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" +
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
      a: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" +
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC",
      b: "0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF10" +
        "9E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00",
      n: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" +
        "FFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
      gx: "00C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D" +
        "3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66",
      gy: "011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E" +
        "662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650",
    },
  },
  {
    name: "brainpoolP256r1",
    alias: "brainpoolP256r1",
    oid: "1.3.36.3.3.2.8.1.1.7",
    bits: 256,
    model: "weierstrass",
    fieldBytes: 32,
    params: {
      p: "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
      a: "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
      b: "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
      n: "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7",
      gx: "8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262",
      gy: "547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
    },
  },
  {
    name: "brainpoolP384r1",
    alias: "brainpoolP384r1",
    oid: "1.3.36.3.3.2.8.1.1.11",
    bits: 384,
    model: "weierstrass",
    fieldBytes: 48,
    params: {
      p: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123" +
        "ACD3A729901D1A71874700133107EC53",
      a: "7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F" +
        "8AA5814A503AD4EB04A8C7DD22CE2826",
      b: "04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D5" +
        "7CB4390295DBC9943AB78696FA504C11",
      n: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7" +
        "CF3AB6AF6B7FC3103B883202E9046565",
      gx: "1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8" +
        "E826E03436D646AAEF87B2E247D4AF1E",
      gy: "8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF9912928" +
        "0E4646217791811142820341263C5315",
    },
  },
  {
    name: "brainpoolP512r1",
    alias: "brainpoolP512r1",
    oid: "1.3.36.3.3.2.8.1.1.13",
    bits: 512,
    model: "weierstrass",
    fieldBytes: 64,
    params: {
      p: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330871" +
        "7D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
      a: "7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC" +
        "2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
      b: "3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A7" +
        "2BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
      n: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870" +
        "553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069",
      gx: "81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098E" +
        "FF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822",
      gy: "7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111" +
        "B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
    },
  },
  {
    name: "secp256k1",
    alias: "secp256k1",
    oid: "1.3.132.0.10",
    bits: 256,
    model: "weierstrass",
    fieldBytes: 32,
    params: {
      p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F",
      a: "00",
      b: "07",
      n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
      gx: "79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798",
      gy: "483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8",
    },
  },
];

/** Extra OIDs gnupg maps to the same curves (RFC 8410 forms). */
const ALT_OIDS: Record<string, CurveName> = {
  "1.3.101.110": "Curve25519",
  "1.3.101.112": "Ed25519",
};

/**
 * Find a curve by libgcrypt name, gpg alias or dotted OID, case-insensitively
 * (gnupg `openpgp_oid_or_name_to_curve`).
 */
export function findCurve(nameOrOid: string): Curve | undefined {
  const key = nameOrOid.toLowerCase();
  const alt = ALT_OIDS[nameOrOid];
  if (alt) return CURVES.find((c) => c.name === alt);
  return CURVES.find((c) =>
    c.name.toLowerCase() === key || c.alias.toLowerCase() === key || c.oid === nameOrOid
  );
}

/** DER content bytes of a dotted OID (what OpenPGP card attributes and key packets carry). */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((s) => {
    if (!/^\d+$/.test(s)) throw new SyntaxError(`Cannot encode OID "${dotted}": bad arc "${s}"`);
    return Number(s);
  });
  if (arcs.length < 2 || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! > 39)) {
    throw new SyntaxError(`Cannot encode OID "${dotted}": bad first arcs`);
  }
  const out: number[] = [];
  const push = (v: number) => {
    const tmp = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) tmp.unshift(0x80 | (v & 0x7f));
    out.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Uint8Array.from(out);
}

/** Dotted form of DER OID content bytes; throws SyntaxError on truncated arcs. */
export function decodeOid(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  let open = false;
  for (const b of bytes) {
    v = v * 128 + (b & 0x7f);
    open = (b & 0x80) !== 0;
    if (!open) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  if (open || arcs.length === 0) throw new SyntaxError("Cannot decode OID: truncated arc");
  return arcs.join(".");
}

/** Find a curve by the DER content bytes of its OID. */
export function curveFromOid(bytes: Uint8Array): Curve | undefined {
  try {
    return findCurve(decodeOid(bytes));
  } catch {
    return undefined;
  }
}

/** The curve's OID as DER content bytes. */
export function curveOid(curve: Curve): Uint8Array {
  return encodeOid(curve.oid);
}

/** Uncompressed base point 04 ‖ Gx ‖ Gy as libgcrypt builds it. */
export function curveBasePoint(curve: Curve): Uint8Array {
  return fromHex("04" + curve.params.gx + curve.params.gy);
}
