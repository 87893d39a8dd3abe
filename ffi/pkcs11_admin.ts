/**
 * The PKCS#11 calls of GENKEY and PASSWD (kept out of ffi/pkcs11.ts, which holds the calls
 * every operation makes): `C_GenerateKeyPair`, `C_DestroyObject`, `C_SetPIN`, `C_InitPIN`.
 * Each needs a read-write session (`openSession(slot, true)`); PIN buffers are the caller's
 * to wipe.
 * @module
 */

import { address, type Pkcs11Module } from "./pkcs11.ts";
import { type AttributeInput, encodeMechanism, encodeTemplate } from "./pkcs11_abi.ts";

/**
 * `C_GenerateKeyPair` with a parameterless `mechanism`; the handles of the new public and
 * private key objects.
 */
export async function generateKeyPair(
  module: Pkcs11Module,
  session: bigint,
  mechanism: number,
  publicTemplate: readonly AttributeInput[],
  privateTemplate: readonly AttributeInput[],
): Promise<{ publicKey: bigint; privateKey: bigint }> {
  const pub = encodeTemplate(publicTemplate, address);
  const priv = encodeTemplate(privateTemplate, address);
  const pubOut = new BigUint64Array(1);
  const privOut = new BigUint64Array(1);
  const keep = [publicTemplate, privateTemplate]; // the templates hold only their addresses
  await module.callOk(
    "C_GenerateKeyPair",
    session,
    encodeMechanism(mechanism),
    pub,
    BigInt(publicTemplate.length),
    priv,
    BigInt(privateTemplate.length),
    new Uint8Array(pubOut.buffer),
    new Uint8Array(privOut.buffer),
  );
  void keep;
  return { publicKey: pubOut[0]!, privateKey: privOut[0]! };
}

/** `C_DestroyObject`. */
export async function destroyObject(
  module: Pkcs11Module,
  session: bigint,
  object: bigint,
): Promise<void> {
  await module.callOk("C_DestroyObject", session, object);
}

/**
 * `C_SetPIN`: the PIN of the user logged in on `session` (the SO after an SO login), or the
 * user PIN when nobody is logged in.
 */
export async function setPin(
  module: Pkcs11Module,
  session: bigint,
  oldPin: Uint8Array,
  newPin: Uint8Array,
): Promise<void> {
  await module.callOk(
    "C_SetPIN",
    session,
    oldPin,
    BigInt(oldPin.length),
    newPin,
    BigInt(newPin.length),
  );
}

/** `C_InitPIN`: set the user PIN (and unblock it); needs the SO logged in on `session`. */
export async function initPin(
  module: Pkcs11Module,
  session: bigint,
  pin: Uint8Array,
): Promise<void> {
  await module.callOk("C_InitPIN", session, pin, BigInt(pin.length));
}
