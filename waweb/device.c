/*
 * device.c: the companion device record (struct wa_device, waweb/store.h):
 * copy, wipe, derive public keys, and create fresh key material.
 *
 * Does not: persist anything (the store ops do) or talk to the server.
 * Invariants: private keys are wiped with sodium_memzero before the memory
 * holding them is released; public keys are always X25519(priv, base).
 */
#include <string.h>

#include <sodium.h>

#include "util/err.h"
#include "util/mem.h"
#include "waweb/store.h"

void
wa_device_clear(struct wa_device *dev)
{
	if (dev == NULL)
		return;
	free(dev->jid);
	free(dev->lid);
	free(dev->adv_details);
	free(dev->platform);
	free(dev->business_name);
	free(dev->push_name);
	sodium_memzero(dev, sizeof(*dev));
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? u_strdup(s) : NULL;
}

void
wa_device_copy(struct wa_device *dst, const struct wa_device *src)
{
	*dst = *src;
	dst->jid = dup_or_null(src->jid);
	dst->lid = dup_or_null(src->lid);
	dst->adv_details = src->adv_details != NULL ?
	    u_memdup(src->adv_details, src->adv_details_len) : NULL;
	dst->platform = dup_or_null(src->platform);
	dst->business_name = dup_or_null(src->business_name);
	dst->push_name = dup_or_null(src->push_name);
}

static void
derive(struct wa_keypair *kp)
{
	/* libsodium clamps the scalar the same way Curve25519/libsignal do. */
	if (crypto_scalarmult_curve25519_base(kp->pub, kp->priv) != 0)
		memset(kp->pub, 0, WA_KEY_LEN);
}

void
wa_device_derive_public(struct wa_device *dev)
{
	derive(&dev->noise);
	derive(&dev->identity);
	derive(&dev->signed_prekey);
}
