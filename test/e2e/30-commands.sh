#!/bin/sh
# The bot's chat and group commands against Synapse + wasim + ponton with
# Baileys peers: resolve-identifier for a wasim account and for an unknown
# number; start-chat / pm (DM portal room, then "already have"); in a group
# Bob makes with the account: id, invite-link (Carol joins by it, --reset
# gives a new one), set-relay / unset-relay (portal.relay_login_id);
# join <link> of a group Bob made without the account (the account joins,
# the portal appears); delete-portal (row gone) then sync groups (the
# portal comes back); create-group from a Matrix room holding Carol's ghost
# (the group exists for Carol with the room's name, the room is its
# portal); unbridge (room forgotten, the bot leaves).
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/30_commands.py"
e2e_finish
