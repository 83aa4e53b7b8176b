/*
 * test_wa_noise_proto.c: the protobuf-c runtime the process really uses.
 *
 * Debian's libsignal-protocol-c.so exports a bundled protobuf-c 1.1.1; if
 * it comes first in the link, every protobuf_c_* call of ponton goes there
 * and the packed-field input below (found by fuzz_wa_proto) crashes it.
 * The Makefile links libprotobuf-c first; these tests fail if that breaks.
 */
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "proto/wa6.pb-c.h"
#include "test/unit/test.h"

TEST(test_wa_noise_proto_runtime_matches_headers)
{
	CHECK_EQ_STR(protobuf_c_version(), PROTOBUF_C_VERSION);
	CHECK_EQ_INT(protobuf_c_version_number(), PROTOBUF_C_VERSION_NUMBER);
}

TEST(test_wa_noise_proto_packed_length_overflow_rejected)
{
	/* ClientPayload field 14 (shards, packed int32) with a 35-bit length. */
	static const uint8_t in[] = {
		0x72, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xf9, 0xff, 0xff, 0x00, 0x2d,
		0x00 };
	Wa__ClientPayload *cp = wa__client_payload__unpack(NULL, sizeof(in), in);

	CHECK(cp == NULL);
	if (cp != NULL)
		wa__client_payload__free_unpacked(cp, NULL);
}

TEST_MAIN()
