#!/bin/sh
# Community portals, method 2 (from Matrix), on the real ponton with
# Synapse, wasim and Baileys peers (41_community_mx.py): a member invites
# the community bot (a second bot identity) into their private room; `!am
# whatsapp` refuses while the bot lacks power (nothing changes), then
# creates a WhatsApp group named after the room, bridges THIS room (m.bridge,
# relay on) and posts the invite link; a contact joins by the link and
# messages flow both ways with the relay prefix; `!am whatsapp +<number>`
# adds a number directly (its ghost joins), and sends a group invitation
# when the person's privacy refuses adds; a number not on WhatsApp is
# refused; `!am whatsapp` again turns relaying back on; a stranger cannot
# use the bot.
. "$TOP/test/e2e/lib.sh"
. "$TOP/test/e2e/40-community-setup.inc"
e2e_run "$TOP/test/e2e/41_community_mx.py"
e2e_finish
