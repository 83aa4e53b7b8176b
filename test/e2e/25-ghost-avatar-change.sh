#!/bin/sh
# A Baileys user with a profile picture writes to the bridge (the ghost's
# avatar is that JPEG); the user changes the picture -> the ghost's
# avatar_url becomes the new JPEG (byte-identical to what wasim serves);
# the user removes it -> the ghost has no avatar_url and its row says
# "remove".
HERE=$(cd "$(dirname "$0")" && pwd)
. "$TOP/test/e2e/lib.sh"
e2e_run "$HERE/25_ghost_avatar_change.py"
e2e_finish
