/*
 * A libpcsclite stand-in for one fault of tests/e2e/faults/pcsc_error_test.ts: it forwards
 * every call to the real library (a dependency, so the loader finds all other SCard* symbols
 * there) except SCardTransmit. When the file named by $SCD_FAULT_PSO_TRIGGER exists, the next
 * PSO (INS 2A) is sent to the card, which computes it, but its answer is reported lost
 * (SCARD_F_COMM_ERROR), and every later APDU on that handle fails the same way: a PC/SC
 * failure after a VERIFY, with the card still powered and verified. Test support only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <winscard.h>

typedef LONG (*transmit_fn)(SCARDHANDLE, const SCARD_IO_REQUEST *, LPCBYTE, DWORD,
                            SCARD_IO_REQUEST *, LPBYTE, LPDWORD);

static SCARDHANDLE broken_handle = 0;

static transmit_fn real_transmit(void) {
  static transmit_fn real = NULL;
  if (real == NULL) {
    void *lib = dlopen("libpcsclite.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (lib != NULL) real = (transmit_fn)dlsym(lib, "SCardTransmit");
  }
  return real;
}

LONG SCardTransmit(SCARDHANDLE card, const SCARD_IO_REQUEST *send_pci, LPCBYTE send,
                   DWORD send_len, SCARD_IO_REQUEST *recv_pci, LPBYTE recv, LPDWORD recv_len) {
  transmit_fn real = real_transmit();
  if (real == NULL) return SCARD_F_INTERNAL_ERROR;
  if (broken_handle != 0 && card == broken_handle) return SCARD_F_COMM_ERROR;
  const char *trigger = getenv("SCD_FAULT_PSO_TRIGGER");
  if (trigger != NULL && send_len > 1 && send[1] == 0x2A && unlink(trigger) == 0) {
    real(card, send_pci, send, send_len, recv_pci, recv, recv_len);
    broken_handle = card;
    return SCARD_F_COMM_ERROR;
  }
  return real(card, send_pci, send, send_len, recv_pci, recv, recv_len);
}
