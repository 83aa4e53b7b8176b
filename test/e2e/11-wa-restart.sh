#!/bin/sh
# Nothing lost, nothing twice, order kept (WhatsApp -> Matrix): a Baileys
# contact sends a burst of numbered messages; ponton is killed (SIGKILL)
# once it has acked the first half to WhatsApp while part of it still waits
# for Matrix (pending rows), the second half is sent while it is down, and
# it is started again: every message ends up in the DM portal, in the
# order sent, once each (a Matrix send the kill interrupted is repeated
# under the same txnId, see docs/bridging.md), and nothing stays
# pending.  (wasim forgets a
# stanza it wrote to a connection that dies before acking it, unlike the
# real server, so the kill is not made while stanzas are in flight.)
# (test/e2e/11_wa_restart.py; E2E_BURST sets the burst size, default 500.)
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/11_wa_restart.py"
e2e_finish
