#!/bin/sh
# WhatsApp pictures on Matrix.  wasim serves pictures as the real server
# does: a Baileys user sets a profile picture; Baileys (profilePictureUrl
# + an HTTPS GET) and whatsmeow (GetProfilePictureInfo + GET) read the
# same JPEG, a known id answers "unchanged", an account without one 404;
# whatsmeow gets the <notification type=picture> as events.Picture.
# The user writes to the bridge: the ghost's avatar_url is that JPEG
# (downloaded from Synapse, compared byte for byte) and the ghost row has
# its id, SHA-256 and mxc; the DM room's m.room.avatar is it too
# (private_chat_portal_meta).  A group with the bridge: the Baileys user sets
# its picture -> the portal's m.room.avatar is that JPEG; changes it ->
# the new one; removes it -> m.room.avatar without url, the portal row
# says "remove", and nothing goes back to WhatsApp.
. "$TOP/test/e2e/lib.sh"
e2e_run "$TOP/test/e2e/25_avatars.py"
e2e_finish
