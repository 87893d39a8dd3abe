import assert from "node:assert/strict";
import { SCARD_RETURN_CODES as RC } from "../../ffi/mod.ts";
import {
  check,
  findPcscError,
  isCardGone,
  isRetryable,
  isServiceGone,
  PcscError,
} from "./errors.ts";

Deno.test("PcscError names the action, the explanation and the constant", () => {
  const e = new PcscError("SCardEstablishContext", RC.SCARD_E_NO_SERVICE);
  assert.equal(
    e.message,
    "Cannot establish PC/SC context: pcscd is not running (SCARD_E_NO_SERVICE)",
  );
  assert.equal(e.code, "SCARD_E_NO_SERVICE");
  assert.equal(e.op, "SCardEstablishContext");
  assert.equal(e.rv, 0x8010001d);
  assert.equal(e.name, "PcscError");
});

Deno.test("PcscError includes the detail and falls back to the bare name or hex", () => {
  assert.equal(
    new PcscError("SCardConnect", RC.SCARD_E_NO_SMARTCARD, { detail: 'in "R 00"' }).message,
    'Cannot connect to card in "R 00": no card in the reader (SCARD_E_NO_SMARTCARD)',
  );
  assert.equal(
    new PcscError("SCardTransmit", RC.SCARD_E_INVALID_PARAMETER).message,
    "Cannot transmit APDU: SCARD_E_INVALID_PARAMETER",
  );
  assert.equal(
    new PcscError("SCardFoo", 0x80100099).message,
    "Cannot call SCardFoo: 0x80100099",
  );
});

Deno.test("check() accepts success and throws PcscError for 64-bit and negative codes", () => {
  check("SCardTransmit", 0n);
  assert.throws(() => check("SCardTransmit", 0x80100068n), /SCARD_W_RESET_CARD/);
  assert.throws(() => check("SCardTransmit", -2146434968), /SCARD_W_RESET_CARD/);
});

Deno.test("isCardGone() and isServiceGone() classify the recovery codes", () => {
  const gone = [
    RC.SCARD_W_RESET_CARD,
    RC.SCARD_W_REMOVED_CARD,
    RC.SCARD_W_UNPOWERED_CARD,
    RC.SCARD_E_NO_SMARTCARD,
    RC.SCARD_E_INVALID_HANDLE,
    RC.SCARD_E_READER_UNAVAILABLE,
    RC.SCARD_E_NOT_TRANSACTED,
  ];
  for (const rv of gone) {
    const e = new PcscError("SCardTransmit", rv);
    assert.ok(isCardGone(e), e.code);
    assert.ok(!isServiceGone(e), e.code);
    assert.ok(isRetryable(e), e.code);
  }
  const serviceGone = [
    RC.SCARD_E_NO_SERVICE,
    RC.SCARD_E_SERVICE_STOPPED,
    RC.SCARD_F_COMM_ERROR,
    RC.SCARD_W_SECURITY_VIOLATION,
  ];
  for (const rv of serviceGone) {
    const e = new PcscError("SCardTransmit", rv);
    assert.ok(isServiceGone(e) && !isCardGone(e) && isRetryable(e), e.code);
  }
  for (const rv of [RC.SCARD_E_SHARING_VIOLATION, RC.SCARD_E_TIMEOUT, RC.SCARD_E_UNKNOWN_READER]) {
    assert.ok(!isRetryable(new PcscError("SCardConnect", rv)));
  }
  assert.ok(!isRetryable(new Error("x")));
  assert.ok(!isRetryable(undefined));
});

Deno.test("findPcscError() looks through the cause chain", () => {
  const inner = new PcscError("SCardTransmit", RC.SCARD_W_REMOVED_CARD);
  const outer = new Error("Cannot read ARD", { cause: new Error("wrapped", { cause: inner }) });
  assert.equal(findPcscError(outer), inner);
  assert.ok(isCardGone(outer));
  assert.equal(findPcscError(new Error("plain")), undefined);
});
