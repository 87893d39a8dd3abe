/*
 * A TEST STAND-IN, not a real device: a PKCS#11 module that forwards every call to the module
 * named by SHIM_TARGET (SoftHSM2 in tests/pkcs11/login_test.ts) and
 *  - appends one line per C_Login to the file SHIM_LOG: "C_Login <userType> <null|pin>" (whether
 *    a PIN came, never the PIN itself);
 *  - with SHIM_PINPAD set, plays a PIN pad reader: C_GetTokenInfo adds
 *    CKF_PROTECTED_AUTHENTICATION_PATH, and C_Login with a NULL PIN logs in with the PIN in
 *    SHIM_PINPAD, as if the person had typed it on the pad; a PIN from the host is refused
 *    (CKR_ARGUMENTS_BAD), so a test sees that none was sent.
 * Built with gcc by the test.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef void *FN;

#define CKR_ARGUMENTS_BAD 0x7UL
#define CKR_GENERAL_ERROR 0x5UL
#define CKF_PROTECTED_AUTHENTICATION_PATH 0x100UL
/* index in CK_FUNCTION_LIST after the version (pkcs11f.h order) */
#define IDX_GET_TOKEN_INFO 6
#define IDX_LOGIN 18
#define FUNCTION_COUNT 68
/* CK_TOKEN_INFO: label[32] manufacturerID[32] model[16] serialNumber[16] then flags */
#define TOKEN_INFO_FLAGS_OFFSET 96

typedef struct { unsigned char major, minor; FN fn[FUNCTION_COUNT]; } FunctionList;

static FunctionList *target;
static FunctionList list;

typedef CK_RV (*GetTokenInfoFn)(CK_ULONG, unsigned char *);
typedef CK_RV (*LoginFn)(CK_ULONG, CK_ULONG, unsigned char *, CK_ULONG);

static CK_RV get_token_info(CK_ULONG slot, unsigned char *info) {
  CK_RV rv = ((GetTokenInfoFn)target->fn[IDX_GET_TOKEN_INFO])(slot, info);
  if (rv == 0 && getenv("SHIM_PINPAD")) {
    CK_ULONG *flags = (CK_ULONG *)(info + TOKEN_INFO_FLAGS_OFFSET);
    *flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
  }
  return rv;
}

static CK_RV login(CK_ULONG session, CK_ULONG user, unsigned char *pin, CK_ULONG len) {
  const char *path = getenv("SHIM_LOG");
  if (path) {
    FILE *f = fopen(path, "a");
    if (f) {
      fprintf(f, "C_Login %lu %s\n", user, pin ? "pin" : "null");
      fclose(f);
    }
  }
  const char *pad = getenv("SHIM_PINPAD");
  if (pad) {
    if (pin) return CKR_ARGUMENTS_BAD;
    return ((LoginFn)target->fn[IDX_LOGIN])(session, user, (unsigned char *)pad, strlen(pad));
  }
  return ((LoginFn)target->fn[IDX_LOGIN])(session, user, pin, len);
}

CK_RV C_GetFunctionList(FunctionList **out) {
  if (!target) {
    const char *path = getenv("SHIM_TARGET");
    void *lib = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
    CK_RV (*get)(FunctionList **) = lib ? (CK_RV(*)(FunctionList **))dlsym(lib, "C_GetFunctionList") : NULL;
    if (!get || get(&target) != 0) return CKR_GENERAL_ERROR;
    memcpy(&list, target, sizeof list);
    list.fn[IDX_GET_TOKEN_INFO] = (FN)get_token_info;
    list.fn[IDX_LOGIN] = (FN)login;
  }
  *out = &list;
  return 0;
}
