#!/bin/sh
# The end-to-end fixture itself (test/e2e/lib.sh, e2e.py, the peers): ponton
# starts against Synapse and wasim, an admin logs the bridge in from the
# management room, a Baileys and a whatsmeow peer pair with wasim and
# exchange a text (so a later scenario's failure is the bridge's, not the
# fixture's), ponton stops cleanly.
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/00_fixture.py"
e2e_finish
