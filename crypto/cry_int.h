/*
 * cry_int.h: helpers shared inside crypto/ only.
 */
#ifndef PONTON_CRYPTO_CRY_INT_H
#define PONTON_CRYPTO_CRY_INT_H

/* sodium_init() once; 0 or CRY_ERR_INIT. */
int cry__ready(void);

#endif
