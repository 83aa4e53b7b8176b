#!/bin/sh
# Relay mode (bridge/relay.c): a Matrix user without a login is refused
# ("You're not logged in") until the admin runs set-relay in the portal;
# then their text, HTML and emote reach the Baileys peer as exactly the
# default relay.message_formats text ("*Alice*: hello there") (relayed media:
# test_br_portal_out), their reaction is ignored,
# and the relay owner's own message is not prefixed.
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/21_relay.py"
e2e_finish
