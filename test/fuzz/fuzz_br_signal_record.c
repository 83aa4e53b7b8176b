/*
 * fuzz_br_signal_record.c: the record translation of bridge/wa_signal_db.c
 * (whatsmeow's JSON <-> libsignal-protocol-c's protobuf) fed arbitrary
 * bytes, as a damaged or hostile database row would hold.
 *
 * Input: byte 0 selects the record kind (even: session, odd: sender key),
 * the rest is tried as JSON (then the protobuf it gives is translated back)
 * and as protobuf.  Nothing may crash or leak; a JSON record that converts
 * must give protobuf that converts back.
 * Seeds (test/data/fuzz_br_signal_record/): records ponton wrote for a
 * live session and sender key (taken from test/tools/wa_signal_peer db).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bridge/wa_signal_db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *pb;
	char *json;
	size_t n, m;
	int sk;

	if (size < 1)
		return 0;
	sk = data[0] & 1;
	data++;
	size--;
	if ((sk ? br_signal_sender_key_json_to_pb :
	    br_signal_session_json_to_pb)((const char *)data, size, &pb,
	    &n) == 0) {
		if ((sk ? br_signal_sender_key_pb_to_json :
		    br_signal_session_pb_to_json)(pb, n, &json, &m) != 0)
			abort();
		free(json);
		free(pb);
	}
	if ((sk ? br_signal_sender_key_pb_to_json :
	    br_signal_session_pb_to_json)(data, size, &json, &m) == 0)
		free(json);
	return 0;
}
