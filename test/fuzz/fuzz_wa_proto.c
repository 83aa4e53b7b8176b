/*
 * fuzz_wa_proto.c: every protobuf we unpack from the network, through
 * protobuf-c with the size caps the parsers use.
 *
 * Input: byte 0 selects the message, the rest is the encoded message.
 * A message that unpacks must pack again to exactly its computed size, and
 * the packed bytes are parsed again (protobuf-c accepts some inputs, e.g.
 * an overlong tag 0 kept as an unknown field, whose re-encoding it then
 * refuses, so a failed second parse is not an error), then everything is
 * freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <protobuf-c/protobuf-c.h>

#include "proto/adv.pb-c.h"
#include "proto/cert.pb-c.h"
#include "proto/companion_reg.pb-c.h"
#include "proto/wa6.pb-c.h"
#include "waweb/cert.h"
#include "waweb/noise.h"
#include "waweb/pair.h"
#include "waweb/store.h"

/* Each entry point with the cap its parser checks before unpacking. */
static const struct {
	const ProtobufCMessageDescriptor	*desc;
	size_t					 cap;
} targets[] = {
	{ &wa__handshake_message__descriptor, WA_NOISE_MSG_MAX },
	{ &wa__cert_chain__descriptor, WA_CERT_CHAIN_MAX },
	{ &wa__cert_chain__noise_certificate__details__descriptor, WA_CERT_CHAIN_MAX },
	{ &wa__advsigned_device_identity_hmac__descriptor, WA_PAIR_IDENTITY_MAX },
	{ &wa__advsigned_device_identity__descriptor, WA_PAIR_IDENTITY_MAX },
	{ &wa__advdevice_identity__descriptor, WA_ADV_DETAILS_MAX },
	{ &wa__advsigned_key_index_list__descriptor, 4096 },
	{ &wa__advkey_index_list__descriptor, 4096 },
	{ &wa__client_payload__descriptor, WA_NOISE_MSG_MAX },
	{ &wa__device_props__descriptor, WA_NOISE_MSG_MAX },
	{ &wa__client_pairing_props__descriptor, 4096 },
};

#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *desc;
	ProtobufCMessage *m, *m2;
	uint8_t *buf;
	size_t n, len;

	if (size < 1)
		return 0;
	desc = targets[data[0] % NTARGETS].desc;
	len = size - 1;
	if (len > targets[data[0] % NTARGETS].cap)
		return 0;
	m = protobuf_c_message_unpack(desc, NULL, len, data + 1);
	if (m == NULL)
		return 0;
	n = protobuf_c_message_get_packed_size(m);
	buf = malloc(n + 1);
	if (buf == NULL)
		abort();
	if (protobuf_c_message_pack(m, buf) != n)
		abort();
	m2 = protobuf_c_message_unpack(desc, NULL, n, buf);
	if (m2 != NULL)
		protobuf_c_message_free_unpacked(m2, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	free(buf);
	return 0;
}
