/*
 * cry_signal.h: libsignal-protocol-c glue.  libsignal needs a signal_context
 * with a crypto provider (random, HMAC-SHA256, SHA-512, AES-CBC/CTR); ours
 * is implemented in crypto/signal_provider.c with libsodium and OpenSSL.
 *
 * Does not: hold sessions or stores (the Signal layer in waweb/ does).
 * Invariants: one process-wide context, created on first use and never
 * destroyed while the process runs; one thread.
 */
#ifndef PONTON_CRYPTO_CRY_SIGNAL_H
#define PONTON_CRYPTO_CRY_SIGNAL_H

#include <signal/signal_protocol.h>

/* The process-wide context (borrowed); NULL only if libsignal cannot start. */
signal_context *cry_signal_context(void);
/* Fill *p with our provider functions, e.g. for a context made elsewhere. */
void cry_signal_provider(signal_crypto_provider *p);

#endif
