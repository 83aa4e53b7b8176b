#!/bin/sh
# Community portals, method 1 (from WhatsApp), on the real ponton with
# Synapse, wasim and Baileys peers (40_community_wa.py): the welcome when
# the relay account is added to a group; `!am @member` creates the portal
# with relay on and invites that member as admin, answered in the group; a
# repeat re-invites into the same room; a non-member and a bad ID are
# refused and change nothing; messages flow both ways with the relay
# prefix; `!am` typed in the room is answered and never reaches WhatsApp;
# flooding gets one answer.
. "$TOP/test/e2e/lib.sh"
. "$TOP/test/e2e/40-community-setup.inc"
e2e_run "$TOP/test/e2e/40_community_wa.py"
e2e_finish
