/*
 * A stand-in PKCS#11 module for tests/pkcs11/hanging_module_test.ts: C_GetFunctionList hands
 * out a list (version 2.40) whose C_Initialize sleeps far longer than the test's timeout, the
 * way a module stuck on an absent device does. Every other entry is NULL.
 */
#include <stddef.h>
#include <unistd.h>

typedef unsigned long CK_RV;
static CK_RV hang(void *args) { (void)args; sleep(3); return 0; }

static struct { unsigned char major, minor; void *fn[68]; } list = { 2, 40, { (void *)hang } };

CK_RV C_GetFunctionList(void **out) {
  *out = &list;
  return 0;
}
