#!/bin/sh
# Nothing lost across a restart, Matrix -> WhatsApp: 500 messages from the
# admin, ponton stopped after the first third (its queue is in the
# database), the second third sent while it is down, the last after it is
# back (once Synapse has delivered its backlog: see 22_out_restart.py for
# the Synapse race this avoids): the Baileys peer gets each exactly once,
# in order; every message row has its WhatsApp ID and the queue is empty
# at the end; Synapse holds no undelivered transaction.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$TOP/test/e2e/lib.sh"
e2e_run "$HERE/22_out_restart.py"
e2e_finish
