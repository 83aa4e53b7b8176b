#!/bin/sh
# Community portals survive a lost database (42_community_dbloss.py): a
# method-1 portal is made and used; ponton stops and its database is
# deleted; after the restart (and the admin linking the account again, as
# the lost database held the WhatsApp session too) no new room is created
# for the known group, WhatsApp messages arrive in the old room, relaying
# is off until the member types `!am whatsapp` in the old room (the host's
# FAQ), then Matrix messages reach the group again; `!am reset` repairs the
# portal; `!am @member` in the group re-invites into the old room.
. "$TOP/test/e2e/lib.sh"
. "$TOP/test/e2e/40-community-setup.inc"
e2e_run "$TOP/test/e2e/42_community_dbloss.py"
e2e_finish
