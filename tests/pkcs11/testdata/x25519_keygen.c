/*
 * Test tool: generate an X25519 key pair on the first token of a PKCS#11 module, for
 * tests/pkcs11/x25519_test.ts. pkcs11-tool 0.23 cannot make one on SoftHSM2 2.6.1: it asks for
 * CKM_EC_MONTGOMERY_KEY_PAIR_GEN, which SoftHSM2 2.6.1 lacks; SoftHSM2 makes X25519 keys with
 * CKM_EC_EDWARDS_KEY_PAIR_GEN and the curve25519 parameters instead (SoftHSM.cpp
 * `generateED`, OSSLUtil.cpp `byteString2oid`).
 *
 *   x25519_keygen MODULE PIN ID-BYTE LABEL
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef struct { CK_ULONG type; void *value; CK_ULONG len; } Attr;
typedef struct { CK_ULONG mechanism; void *param; CK_ULONG len; } Mech;
typedef struct { unsigned char major, minor; void *fn[68]; } FunctionList;

enum { F_INITIALIZE = 0, F_FINALIZE = 1, F_GET_SLOT_LIST = 4, F_OPEN_SESSION = 12,
       F_LOGIN = 18, F_GENERATE_KEY_PAIR = 59 };

#define CKA_TOKEN 0x1UL
#define CKA_PRIVATE 0x2UL
#define CKA_LABEL 0x3UL
#define CKA_ID 0x102UL
#define CKA_SENSITIVE 0x103UL
#define CKA_DERIVE 0x10cUL
#define CKA_EC_PARAMS 0x180UL
#define CKM_EC_EDWARDS_KEY_PAIR_GEN 0x1055UL

static void check(const char *what, CK_RV rv) {
  if (rv != 0) {
    fprintf(stderr, "%s failed: 0x%lx\n", what, rv);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc != 5) return 2;
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) return 3;
  CK_RV (*get)(FunctionList **) = (CK_RV(*)(FunctionList **))dlsym(lib, "C_GetFunctionList");
  FunctionList *f;
  check("C_GetFunctionList", get(&f));
  check("C_Initialize", ((CK_RV(*)(void *))f->fn[F_INITIALIZE])(NULL));
  CK_ULONG slots[8], count = 8;
  check("C_GetSlotList", ((CK_RV(*)(unsigned char, CK_ULONG *, CK_ULONG *))f->fn[F_GET_SLOT_LIST])(1, slots, &count));
  if (count == 0) return 4;
  CK_ULONG session;
  check("C_OpenSession", ((CK_RV(*)(CK_ULONG, CK_ULONG, void *, void *, CK_ULONG *))f->fn[F_OPEN_SESSION])(
      slots[0], 0x6 /* RW | SERIAL */, NULL, NULL, &session));
  check("C_Login", ((CK_RV(*)(CK_ULONG, CK_ULONG, char *, CK_ULONG))f->fn[F_LOGIN])(
      session, 1, argv[2], strlen(argv[2])));
  unsigned char yes = 1, id = (unsigned char)strtoul(argv[3], NULL, 16);
  unsigned char params[] = { 0x13, 10, 'c', 'u', 'r', 'v', 'e', '2', '5', '5', '1', '9' };
  Attr pub[] = {
    { CKA_TOKEN, &yes, 1 }, { CKA_EC_PARAMS, params, sizeof params },
    { CKA_ID, &id, 1 }, { CKA_LABEL, argv[4], strlen(argv[4]) },
  };
  Attr priv[] = {
    { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 }, { CKA_SENSITIVE, &yes, 1 },
    { CKA_DERIVE, &yes, 1 }, { CKA_ID, &id, 1 }, { CKA_LABEL, argv[4], strlen(argv[4]) },
  };
  Mech mech = { CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0 };
  CK_ULONG hpub, hpriv;
  check("C_GenerateKeyPair",
        ((CK_RV(*)(CK_ULONG, Mech *, Attr *, CK_ULONG, Attr *, CK_ULONG, CK_ULONG *, CK_ULONG *))
             f->fn[F_GENERATE_KEY_PAIR])(session, &mech, pub, 4, priv, 6, &hpub, &hpriv));
  ((CK_RV(*)(void *))f->fn[F_FINALIZE])(NULL);
  return 0;
}
