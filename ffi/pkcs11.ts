/**
 * A PKCS#11 module loaded through Deno FFI: `dlopen`, `C_GetFunctionList`, `C_Initialize` once
 * (CKF_OS_LOCKING_OK: the calls run on Deno's worker threads), then the few functions scd-ts
 * uses, each `nonblocking` (a module that talks to a card or waits for a PIN pad must not stop
 * the daemon). Every call is bounded by a timeout, so a module that hangs turns into an error
 * naming it; the stuck worker thread is left behind.
 *
 * Errors name the module and the `CKR_…` code ({@linkcode Pkcs11Error}). Nothing here keeps a
 * session: the caller opens and closes one per operation.
 * @module
 */

import {
  type AttributeInput,
  CK_TOKEN_INFO_SIZE,
  CKA,
  CKF_OS_LOCKING_OK,
  CKF_RW_SESSION,
  CKF_SERIAL_SESSION,
  CKM_ECDH1_DERIVE,
  CKR,
  ckrName,
  decodeTokenInfo,
  derivedSecretTemplate,
  encodeEcdhParams,
  encodeInitArgs,
  encodeMechanism,
  encodeTemplate,
  functionOffset,
  readTemplateLengths,
  readUlongs,
  type TokenInfo,
} from "./pkcs11_abi.ts";
import { type Pkcs11FunctionName, SIGNATURES } from "./pkcs11_signatures.ts";

const U = "u64" as const;
const B = "buffer" as const;

type Name = Pkcs11FunctionName;
type Fn = (...args: unknown[]) => Promise<number | bigint>;

/** A `CKR_…` other than CKR_OK from a named module and function. */
export class Pkcs11Error extends Error {
  override name = "Pkcs11Error";
  /** The CK_RV. */
  readonly rv: number;
  /** `CKR_…` name. */
  readonly code: string;
  constructor(module: string, fn: string, rv: number) {
    super(`PKCS#11 module ${module}: ${fn} failed: ${ckrName(rv)}`);
    this.rv = rv;
    this.code = ckrName(rv);
  }
}

/** The module cannot be used at all (missing file, not a PKCS#11 library, hangs). */
export class Pkcs11ModuleError extends Error {
  override name = "Pkcs11ModuleError";
}

/** Options of {@linkcode Pkcs11Module.load}. */
export interface Pkcs11LoadOptions {
  /** Longest wait for one call in ms (default 60 s: a PIN pad may take a while). */
  timeoutMs?: number;
}

/** The address of a buffer passed by pointer inside a struct (the caller keeps it alive). */
export function address(buf: Uint8Array): bigint {
  return Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>));
}

/** A loaded and initialised PKCS#11 module. */
export class Pkcs11Module {
  /** The path it was loaded from (in every error message). */
  readonly path: string;
  #lib: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>;
  #fns: Map<Name, Fn>;
  #timeoutMs: number;
  /** A call did not return in time: its thread may still run inside the library. */
  #stuck = false;

  private constructor(
    path: string,
    lib: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>,
    fns: Map<Name, Fn>,
    timeoutMs: number,
  ) {
    this.path = path;
    this.#lib = lib;
    this.#fns = fns;
    this.#timeoutMs = timeoutMs;
  }

  /** dlopen `path`, read its function list and call `C_Initialize`. */
  static async load(path: string, options: Pkcs11LoadOptions = {}): Promise<Pkcs11Module> {
    let lib: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>;
    try {
      lib = Deno.dlopen(path, { C_GetFunctionList: { parameters: [B], result: U } });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new Pkcs11ModuleError(`Cannot load PKCS#11 module ${path}: ${why}`, { cause: e });
    }
    const out = new BigUint64Array(1);
    const rv = Number(lib.symbols.C_GetFunctionList!(new Uint8Array(out.buffer)));
    const list = Deno.UnsafePointer.create(out[0]!);
    if (rv !== CKR.CKR_OK || list === null) {
      lib.close();
      throw new Pkcs11ModuleError(
        `Cannot use PKCS#11 module ${path}: C_GetFunctionList failed: ${ckrName(rv)}`,
      );
    }
    const view = new Deno.UnsafePointerView(list);
    const major = view.getUint8(0);
    const fns = new Map<Name, Fn>();
    for (const name of Object.keys(SIGNATURES) as Name[]) {
      const ptr = view.getPointer(functionOffset(name));
      if (ptr === null) continue; // checked when called
      // deno-lint-ignore no-explicit-any -- one table of differently typed signatures
      const fn = new Deno.UnsafeFnPointer(ptr as Deno.PointerObject<any>, SIGNATURES[name]);
      fns.set(name, fn.call.bind(fn) as unknown as Fn);
    }
    if (major < 2 || major > 3) {
      lib.close();
      throw new Pkcs11ModuleError(`Cannot use PKCS#11 module ${path}: Cryptoki version ${major}`);
    }
    const module = new Pkcs11Module(path, lib, fns, options.timeoutMs ?? 60_000);
    let init: number;
    try {
      init = await module.#call("C_Initialize", encodeInitArgs(CKF_OS_LOCKING_OK));
    } catch (e) {
      module.#release(); // a hanging C_Initialize keeps the library mapped (see #release)
      throw e;
    }
    if (init !== CKR.CKR_OK && init !== CKR.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      lib.close();
      throw new Pkcs11Error(path, "C_Initialize", init);
    }
    return module;
  }

  /** Call `name`; resolves with its CK_RV, rejects when it does not return in time. */
  async #call(name: Name, ...args: unknown[]): Promise<number> {
    const fn = this.#fns.get(name);
    if (!fn) throw new Pkcs11Error(this.path, name, CKR.CKR_FUNCTION_NOT_SUPPORTED);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new Pkcs11ModuleError(
            `PKCS#11 module ${this.path}: ${name} did not return within ${this.#timeoutMs} ms`,
          ),
        );
      }, this.#timeoutMs);
    });
    try {
      return Number(await Promise.race([fn(...args), late]));
    } catch (e) {
      if (e instanceof Pkcs11ModuleError) this.#stuck = true;
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Call `name` and throw {@linkcode Pkcs11Error} unless it returns CKR_OK. */
  async #ok(name: Name, ...args: unknown[]): Promise<void> {
    const rv = await this.#call(name, ...args);
    if (rv !== CKR.CKR_OK) throw new Pkcs11Error(this.path, name, rv);
  }

  /**
   * `#ok` for the other files of ffi/ (pkcs11_admin.ts), which keep this one short; the
   * arguments must match {@linkcode SIGNATURES}. Not for use outside ffi/.
   */
  callOk(name: Name, ...args: unknown[]): Promise<void> {
    return this.#ok(name, ...args);
  }

  /** Slots that hold a token (`C_GetSlotList(CK_TRUE)`). */
  async slots(): Promise<number[]> {
    const count = new BigUint64Array(1);
    await this.#ok("C_GetSlotList", 1, null, new Uint8Array(count.buffer));
    const ids = new Uint8Array(8 * Math.max(1, Number(count[0])));
    await this.#ok("C_GetSlotList", 1, ids, new Uint8Array(count.buffer));
    return readUlongs(ids, Number(count[0]));
  }

  /** `C_GetTokenInfo`. */
  async tokenInfo(slot: number): Promise<TokenInfo> {
    const buf = new Uint8Array(CK_TOKEN_INFO_SIZE);
    await this.#ok("C_GetTokenInfo", BigInt(slot), buf);
    return decodeTokenInfo(buf);
  }

  /** `C_GetMechanismList`. */
  async mechanisms(slot: number): Promise<number[]> {
    const count = new BigUint64Array(1);
    await this.#ok("C_GetMechanismList", BigInt(slot), null, new Uint8Array(count.buffer));
    const list = new Uint8Array(8 * Math.max(1, Number(count[0])));
    await this.#ok("C_GetMechanismList", BigInt(slot), list, new Uint8Array(count.buffer));
    return readUlongs(list, Number(count[0]));
  }

  /** A session on `slot`, read-only unless `rw` (key generation, PIN changes); end it with `closeSession`. */
  async openSession(slot: number, rw = false): Promise<bigint> {
    const out = new BigUint64Array(1);
    await this.#ok(
      "C_OpenSession",
      BigInt(slot),
      BigInt(CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0)),
      null,
      null,
      new Uint8Array(out.buffer),
    );
    return out[0]!;
  }

  /** `C_CloseSession`; errors are left to the caller's cleanup to ignore. */
  async closeSession(session: bigint): Promise<void> {
    await this.#ok("C_CloseSession", session);
  }

  /**
   * `C_Login`; the PIN buffer is the caller's to wipe. `null` sends a NULL PIN: a token with
   * CKF_PROTECTED_AUTHENTICATION_PATH then takes it on its own PIN pad (v2.40 §5.6 C_Login).
   */
  async login(session: bigint, userType: number, pin: Uint8Array | null): Promise<void> {
    await this.#ok("C_Login", session, BigInt(userType), pin, BigInt(pin?.length ?? 0));
  }

  /** `C_Logout`. */
  async logout(session: bigint): Promise<void> {
    await this.#ok("C_Logout", session);
  }

  /** Every object matching `template` (`C_FindObjectsInit`/`C_FindObjects`/`…Final`). */
  async findObjects(session: bigint, template: readonly AttributeInput[]): Promise<bigint[]> {
    const keep = template.map((a) => a.value);
    await this.#ok(
      "C_FindObjectsInit",
      session,
      encodeTemplate(template, address),
      template.length,
    );
    const found: bigint[] = [];
    try {
      const batch = new BigUint64Array(32);
      const count = new BigUint64Array(1);
      for (;;) {
        await this.#ok(
          "C_FindObjects",
          session,
          new Uint8Array(batch.buffer),
          32n,
          new Uint8Array(count.buffer),
        );
        const n = Number(count[0]);
        found.push(...batch.subarray(0, n));
        if (n < 32) break;
      }
    } finally {
      await this.#call("C_FindObjectsFinal", session).catch(() => {});
    }
    void keep;
    return found;
  }

  /**
   * The values of `types` on `object`; undefined for those the module will not give (absent,
   * sensitive). A first call asks for the lengths, a second for the values.
   */
  async attributes(
    session: bigint,
    object: bigint,
    types: readonly number[],
  ): Promise<(Uint8Array | undefined)[]> {
    const partial: number[] = [
      CKR.CKR_OK,
      CKR.CKR_ATTRIBUTE_SENSITIVE,
      CKR.CKR_ATTRIBUTE_TYPE_INVALID,
    ];
    const ask = encodeTemplate(types.map((type) => ({ type })), address);
    const rv = await this.#call("C_GetAttributeValue", session, object, ask, BigInt(types.length));
    if (!partial.includes(rv)) throw new Pkcs11Error(this.path, "C_GetAttributeValue", rv);
    const lengths = readTemplateLengths(ask);
    const values = lengths.map((len) => len === undefined ? undefined : new Uint8Array(len));
    const wanted = types.flatMap((type, i) =>
      values[i] && values[i].length > 0 ? [{ type, value: values[i] }] : []
    );
    if (wanted.length > 0) {
      const read = encodeTemplate(wanted, address);
      const rv2 = await this.#call("C_GetAttributeValue", session, object, read, wanted.length);
      if (!partial.includes(rv2)) throw new Pkcs11Error(this.path, "C_GetAttributeValue", rv2);
    }
    return values;
  }

  /**
   * `C_SignInit` + `C_Sign` with a parameterless mechanism. `afterInit` runs between the two:
   * a key with CKA_ALWAYS_AUTHENTICATE wants its context-specific `C_Login` there.
   */
  async sign(
    session: bigint,
    key: bigint,
    mechanism: number,
    data: Uint8Array,
    afterInit?: () => Promise<void>,
  ): Promise<Uint8Array> {
    await this.#ok("C_SignInit", session, encodeMechanism(mechanism), key);
    await afterInit?.();
    return await this.#oneShot("C_Sign", session, data);
  }

  /** `C_DecryptInit` + `C_Decrypt` with a parameterless mechanism (`afterInit` as for sign). */
  async decrypt(
    session: bigint,
    key: bigint,
    mechanism: number,
    data: Uint8Array,
    afterInit?: () => Promise<void>,
  ): Promise<Uint8Array> {
    await this.#ok("C_DecryptInit", session, encodeMechanism(mechanism), key);
    await afterInit?.();
    return await this.#oneShot("C_Decrypt", session, data);
  }

  /**
   * ECDH with `key` and the other side's `point` (`CKM_ECDH1_DERIVE`, CKD_NULL): a session
   * secret-key object of `length` bytes, not sensitive, whose value is read and returned (the
   * object ends with the session).
   */
  async deriveEcdh(
    session: bigint,
    key: bigint,
    point: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    const params = encodeEcdhParams(address(point), point.length);
    const mechanism = encodeMechanism(CKM_ECDH1_DERIVE, {
      address: address(params),
      length: params.length,
    });
    const template = derivedSecretTemplate(length);
    const out = new BigUint64Array(1);
    const keep = [point, params, template]; // referenced only by address in the structs
    await this.#ok(
      "C_DeriveKey",
      session,
      mechanism,
      key,
      encodeTemplate(template, address),
      BigInt(template.length),
      new Uint8Array(out.buffer),
    );
    void keep;
    const [value] = await this.attributes(session, out[0]!, [CKA.CKA_VALUE]);
    if (!value) {
      throw new Pkcs11Error(this.path, "C_GetAttributeValue", CKR.CKR_ATTRIBUTE_SENSITIVE);
    }
    return value;
  }

  /**
   * One-part operation with an output buffer as large as the input allows plus a margin
   * (signatures and RSA plaintexts never exceed 1 KiB + the input); a module that answers
   * CKR_BUFFER_TOO_SMALL has ended the operation, so the size is not retried.
   */
  async #oneShot(name: "C_Sign" | "C_Decrypt", session: bigint, data: Uint8Array) {
    const len = new BigUint64Array([BigInt(Math.max(1024, data.length) + 512)]);
    const out = new Uint8Array(Number(len[0]));
    await this.#ok(name, session, data, BigInt(data.length), out, new Uint8Array(len.buffer));
    return out.slice(0, Number(len[0]));
  }

  /** `C_Finalize` and close the library. */
  async close(): Promise<void> {
    try {
      if (!this.#stuck) await this.#call("C_Finalize", null);
    } finally {
      this.#release();
    }
  }

  /**
   * Unmap the library, unless a call that timed out may still be running in it: unmapping code
   * a thread is executing would crash the process when that call returns. The mapping then
   * stays until the process ends.
   */
  #release(): void {
    if (!this.#stuck) this.#lib.close();
  }
}
