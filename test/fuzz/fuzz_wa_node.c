/*
 * fuzz_wa_node: libFuzzer entry point for the binary node decoder.
 *
 * Decodes the input as a decrypted frame (flag byte, optional zlib); when it
 * decodes, renders the debug XML, re-encodes and decodes twice and requires
 * a fixed point (the encoder only writes what the decoder accepts, and the
 * two agree).  With flag bit 0x40 it also deflates the input itself and
 * checks the compressed path gives the same result.  Any crash, leak, UB or abort() is a finding.
 * Seeds: test/data/fuzz_wa_node/.
 */
#include <stdint.h>
#include <stdlib.h>

#include <zlib.h>

#include "util/buf.h"
#include "waweb/node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Encode n as a frame and decode it again; abort if either fails. */
static struct wa_node *
reencode(const struct wa_node *n)
{
	struct wa_node *back = NULL;
	struct u_buf b;

	u_buf_init(&b, 0);
	if (wa_node_encode_frame(n, &b) != 0)
		abort();
	if (wa_node_decode_frame(b.p, b.len, &back) != 0)
		abort();
	u_buf_free(&b);
	return back;
}

static void
check_deflated(const uint8_t *p, size_t len)
{
	uLongf zlen = compressBound(len);
	uint8_t *z = malloc(zlen + 1);
	struct wa_node *a = NULL, *b = NULL;
	int ra, rb;

	if (z == NULL || compress(z + 1, &zlen, p, len) != Z_OK)
		abort();
	z[0] = WA_FRAME_FLAG_COMPRESSED;
	ra = wa_node_decode(p, len, &a);
	rb = wa_node_decode_frame(z, zlen + 1, &b);
	if (ra != rb || (ra == 0 && !wa_node_equal(a, b)))
		abort();
	wa_node_free(a);
	wa_node_free(b);
	free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_node *n1 = NULL, *n2, *n3;
	struct u_buf x;

	/*
	 * Flag bit 0x40 (ignored by the decoder): also deflate the rest
	 * ourselves, so valid zlib streams reach the inflate path; both
	 * forms must decode alike.
	 */
	if (size > 1 && size < 65536 && (data[0] & 0x40))
		check_deflated(data + 1, size - 1);
	if (wa_node_decode_frame(data, size, &n1) != 0)
		return 0;
	u_buf_init(&x, 0);
	if (wa_node_to_xml(n1, &x, 64) != 0)
		abort();
	u_buf_free(&x);
	/*
	 * A decoded tree must always re-encode and decode.  The first round
	 * may normalise (a raw "u@s" string value becomes a JID, an empty
	 * packed string becomes bytes, a JID_PAIR on msgr becomes FB_JID);
	 * after that the tree must be a fixed point.
	 */
	n2 = reencode(n1);
	n3 = reencode(n2);
	if (!wa_node_equal(n2, n3))
		abort();
	wa_node_free(n1);
	wa_node_free(n2);
	wa_node_free(n3);
	return 0;
}
